/**
 * Every `irsa-issuer …` command line a fix suggests, taken out of its sentence and run through the
 * real command-line parser: the commands as the CLI builds them (options, arity, choices), with
 * the action replaced by the flag checks each command makes before it touches anything (the issuer
 * as that command takes it, the audiences). A suggestion that parser refuses is a usage error (exit
 * 2) for whoever follows the fix.
 */
import { verifyIssuerRules } from '../../src/issuer.js';
import { PassThrough, Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import type { CliIo } from '../../src/cli/io.js';
import { audiencesFrom, issuerFrom } from '../../src/cli/flags.js';
import { registerCommand } from '../../src/cli/register.js';
import { renderCommand } from '../../src/cli/render.js';
import { syncCommand } from '../../src/cli/sync.js';
import { thumbprintCommand } from '../../src/cli/thumbprint.js';
import { verifyCommand } from '../../src/cli/verify.js';
import { targetFromUrl } from '../../src/thumbprint/index.js';
import type { Check } from '../../src/verify/check.js';

function quietIo(): CliIo {
  return { stdout: new PassThrough(), stderr: new PassThrough(), stdin: Readable.from(['']), env: {} };
}

const factories: Readonly<Record<string, (io: CliIo) => Command>> = {
  sync: syncCommand,
  register: registerCommand,
  render: renderCommand,
  verify: verifyCommand,
  thumbprint: thumbprintCommand,
};

/** Which options of a command take a value: what decides where a suggested command line ends. */
function takesValue(command: Command, flag: string): boolean | undefined {
  const option = command.options.find((candidate) => candidate.long === flag || candidate.short === flag);
  return option === undefined ? undefined : option.required || option.optional;
}

/**
 * The command lines in a fix: `irsa-issuer NAME` and what follows while it reads as arguments
 * (options, their values, a URL), up to the end of the sentence or the first word of prose.
 */
export function suggestedCommands(text: string): string[][] {
  const found: string[][] = [];
  const words = text.split(/\s+/);
  for (const [index, word] of words.entries()) {
    if (word !== 'irsa-issuer') continue;
    const name = words[index + 1]?.replace(/[.,;:)]+$/, '') ?? '';
    const factory = factories[name];
    if (factory === undefined) {
      // "irsa-issuer publishes only …" is prose; "irsa-issuer register --issuer …" would be a command it lacks.
      if (words[index + 2]?.startsWith('--') === true) found.push([name]);
      continue;
    }
    const shape = factory(quietIo());
    const argv = [name];
    let ended = words[index + 1] !== name;
    let expectValue = false;
    for (const raw of words.slice(index + 2)) {
      if (ended) break;
      const token = raw.replace(/[.,;:)]+$/, '');
      ended = token !== raw;
      if (expectValue) {
        argv.push(token);
        expectValue = false;
      } else if (token.startsWith('-')) {
        argv.push(token);
        expectValue = takesValue(shape, token) === true;
      } else if (/^https?:\/\//.test(token) && shape.registeredArguments.length > 0) {
        argv.push(token);
      } else {
        break;
      }
    }
    found.push(argv);
  }
  return found;
}

/** Undefined when irsa-issuer takes the command line, else why not (the parser's own words). */
export async function usageError(argv: readonly string[]): Promise<string | undefined> {
  const [name = '', ...rest] = argv;
  const factory = factories[name];
  if (factory === undefined) return `irsa-issuer has no command ${JSON.stringify(name)}`;
  const errors: string[] = [];
  const command = factory(quietIo())
    .exitOverride()
    .configureOutput({
      writeOut: () => undefined,
      writeErr: (text) => {
        errors.push(text.trim());
      },
    });
  command.action((...args: unknown[]) => {
    const flags = command.opts<{ issuer?: string; audience?: string[] }>();
    if (name === 'thumbprint') {
      if (typeof args[0] === 'string') targetFromUrl(args[0]);
      return;
    }
    issuerFrom(flags, name === 'verify' || name === 'register' ? verifyIssuerRules : {});
    if (flags.audience !== undefined) audiencesFrom(flags.audience);
  });
  try {
    await command.parseAsync([...rest], { from: 'user' });
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return errors.join(' ') || error.message;
    return error instanceof Error ? error.message : String(error);
  }
}

export interface Verdict {
  readonly command: string;
  /** Undefined when irsa-issuer takes the command line. */
  readonly error: string | undefined;
}

/** Every suggested command line in these texts, with the parser's verdict on it. */
export async function commandVerdicts(texts: readonly string[]): Promise<Verdict[]> {
  const commands = texts.flatMap(suggestedCommands);
  return Promise.all(
    commands.map(async (argv) => ({ command: `irsa-issuer ${argv.join(' ')}`, error: await usageError(argv) })),
  );
}

/** The same for these checks' fixes and warnings. */
export function verdicts(checks: readonly Check[]): Promise<Verdict[]> {
  return commandVerdicts(checks.flatMap((check) => [check.fix ?? '', ...check.warnings]));
}

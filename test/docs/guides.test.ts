/**
 * The guides are what a person follows at a laptop with admin credentials: each one must exist and
 * be reachable from the README, and every `irsa-issuer COMMAND --flag` they show must be a flag the
 * built CLI lists in `COMMAND --help`, or copying the line ends in "unknown option".
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const bundle = join(root, 'dist', 'irsa-issuer.mjs');

const guides = [
  'kubeadm',
  'k3s',
  'rke2',
  'talos',
  'openshift',
  'gke',
  'aks',
  'key-rotation',
  'migrate-issuer',
  'troubleshooting',
] as const;

/** "irsa-issuer never deletes…": the name as a subject in prose, not a command line. */
const prose = new Set(['did', 'keeps', 'needs', 'never', 'reports', 'runs', 'uses', 'is', 'does', 'can', 'will']);

interface CommandLine {
  readonly where: string;
  readonly command: string;
  readonly flags: readonly string[];
}

/**
 * The command line that starts right after `irsa-issuer COMMAND`: up to the end of an inline code
 * span, a pipe or `;`, or the end of the shell line (a trailing backslash continues it).
 */
function restOfLine(text: string): string {
  let end = 0;
  while (end < text.length) {
    const char = text[end];
    if (char === '`' || char === '|' || char === ';') break;
    if (char === '\n' && !/\\\s*$/.test(text.slice(0, end))) break;
    end += 1;
  }
  return text.slice(0, end);
}

function commandLines(file: string, text: string): CommandLine[] {
  const lines: CommandLine[] = [];
  // `helm install irsa-issuer charts/…` names a Helm release, not a command.
  for (const match of text.matchAll(/(?<!(?:install|upgrade|uninstall|template) )irsa-issuer ([a-z][a-z-]*)/g)) {
    const command = match[1] ?? '';
    if (prose.has(command)) continue;
    const rest = restOfLine(text.slice(match.index + match[0].length));
    const flags = [...rest.matchAll(/(?<=^|\s)--[a-z][a-z0-9-]*/g)].map((flag) => flag[0]);
    const line = text.slice(0, match.index).split('\n').length;
    lines.push({ where: `${file}:${String(line)}`, command, flags });
  }
  return lines;
}

interface Help {
  readonly ok: boolean;
  readonly flags: ReadonlySet<string>;
}

/** The options `COMMAND --help` of the built bundle lists (each option line starts with its flags). */
async function helpOf(command: string): Promise<Help> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [bundle, command, '--help'], {
      env: { PATH: process.env.PATH },
    });
    // commander answers `UNKNOWN --help` with the program's own help, and exit 0.
    if (!stdout.startsWith(`Usage: irsa-issuer ${command} `)) return { ok: false, flags: new Set() };
    const flags = new Set<string>();
    for (const match of stdout.matchAll(/^ {2}(?:-[A-Za-z], )?(--[a-z][a-z0-9-]*)/gm)) flags.add(match[1] ?? '');
    return { ok: true, flags };
  } catch {
    return { ok: false, flags: new Set() };
  }
}

describe('the guides in docs/', () => {
  it('every guide exists and README.md links it', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const present = new Set(await readdir(join(root, 'docs')));
    const missing = guides.filter((guide) => !present.has(`${guide}.md`));
    const unlinked = guides.filter((guide) => !readme.includes(`](docs/${guide}.md)`));
    expect(missing, 'guides missing from docs/').toEqual([]);
    expect(unlinked, 'guides README.md does not link').toEqual([]);
  });

  it('every `irsa-issuer COMMAND --flag` in docs/ names a flag that `COMMAND --help` lists', async () => {
    const files = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md'));
    const lines: CommandLine[] = [];
    for (const file of files)
      lines.push(...commandLines(`docs/${file}`, await readFile(join(root, 'docs', file), 'utf8')));
    expect(lines.length, 'the guides show command lines').toBeGreaterThan(20);

    const helps = new Map<string, Help>();
    for (const command of new Set(lines.map((line) => line.command))) helps.set(command, await helpOf(command));
    const wrong: string[] = [];
    for (const { where, command, flags } of lines) {
      const help = helps.get(command);
      if (help?.ok !== true) {
        wrong.push(`${where}: irsa-issuer ${command} is not a command of the built CLI`);
        continue;
      }
      for (const flag of flags)
        if (flag !== '--help' && !help.flags.has(flag)) wrong.push(`${where}: irsa-issuer ${command} has no ${flag}`);
    }
    expect(wrong, 'command lines the built CLI would refuse').toEqual([]);
  });
});

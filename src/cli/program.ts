import { Command, CommanderError } from 'commander';
import { describeCause, ExitCode, InternalError, isIrsaIssuerError } from '../errors.js';
import { escapeControl, redact } from '../redact.js';
import { bootstrapCommand } from './bootstrap.js';
import { daemonCommand } from './daemon.js';
import { applyEnvironment, checkVariableNames, documentEnvironment } from './env.js';
import { guardedIo, type CliIo } from './io.js';
import { registerCommand } from './register.js';
import { renderCommand } from './render.js';
import { syncCommand } from './sync.js';
import { teardownCommand } from './teardown.js';
import { thumbprintCommand } from './thumbprint.js';
import { trustPolicyCommand } from './trust-policy.js';
import { verifyCommand } from './verify.js';

/** Replaced with package.json's version at build time (scripts/build.mjs; vitest.config.ts for the tests). */
declare const __IRSA_ISSUER_VERSION__: string;
export const version = __IRSA_ISSUER_VERSION__;

function buildProgram(io: CliIo): Command {
  const program = new Command('irsa-issuer')
    .description(
      "Publish a Kubernetes cluster's service-account issuer so AWS IAM trusts its tokens (IRSA) outside EKS: " +
        'discovery document + JWKS to S3 or any static host, the TLS thumbprint, and the IAM OIDC provider. ' +
        'Every flag can also be set as IRSA_ISSUER_<FLAG> (e.g. IRSA_ISSUER_ISSUER); the flag wins.',
    )
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  // Each command's definition (its flags and help) is all that loads here; what it does is imported
  // from src/cli/<command>-action.ts when it runs, so --help and every command pay only for their own.
  const commands = [
    syncCommand(io),
    registerCommand(io),
    daemonCommand(io),
    renderCommand(io),
    thumbprintCommand(io),
    verifyCommand(io),
    bootstrapCommand(io),
    trustPolicyCommand(io),
    teardownCommand(io),
  ];
  for (const command of commands) {
    documentEnvironment(command);
    command.hook('preAction', (actionCommand) => {
      checkVariableNames(commands, io.env);
      applyEnvironment(actionCommand, io.env);
    });
    program.addCommand(command);
  }
  program.exitOverride();
  // addCommand does not pass these on the way .command() does: output streams, help-after-error, exit override.
  for (const command of program.commands) command.copyInheritedSettings(program);
  return program;
}

/** Runs one command line and returns the exit code; never throws, never prints a stack trace. */
export async function runCli(argv: readonly string[], processIo: CliIo): Promise<number> {
  const io = guardedIo(processIo);
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    // --help and --version exit 0; anything else commander stops on (no command at all included:
    // a mis-templated CronJob must not "succeed" forever) is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (isIrsaIssuerError(error) && !(error instanceof InternalError)) {
      io.stderr.write(`irsa-issuer: ${escapeControl(redact(error.message))}\n`);
      return error.exitCode;
    }
    io.stderr.write(
      `irsa-issuer: internal error: ${escapeControl(describeCause(error))}\n` +
        'This is a bug in irsa-issuer; please report it with the command you ran and its output with ' +
        '--log-level debug.\n',
    );
    return ExitCode.failed;
  }
}

import { Command, Option } from 'commander';
import { FileStore } from '../publish/file.js';
import { applyPublish, planPublish, readActual } from '../publish/plan.js';
import { desiredObjects, readAndBuild } from '../run.js';
import type { CliIo } from './io.js';
import {
  addClusterOptions, addIssuerOptions, clusterReaderFrom, issuerFrom, loggerFrom, type ClusterFlags, type IssuerFlags,
} from './options.js';

interface RenderFlags extends IssuerFlags, ClusterFlags {
  readonly out?: string;
  readonly logLevel: string;
}

export function renderCommand(io: CliIo): Command {
  const command = new Command('render')
    .summary('print the discovery document and JWKS (or write them to a directory); changes nothing remote')
    .description(
      'Reads the keys like sync does and prints {"discovery": ..., "jwks": ...} on stdout, for Terraform ' +
        'or GitOps. With --out DIR it writes DIR/.well-known/openid-configuration and DIR/openid/v1/jwks ' +
        '(byte for byte what sync publishes) instead.',
    );
  addIssuerOptions(command);
  addClusterOptions(command);
  command
    .addOption(new Option('--out <dir>', 'write the two documents under this directory instead of printing them'))
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(['debug', 'info', 'warn', 'error', 'silent']).default('warn'));
  command.action(async (flags: RenderFlags) => {
    const issuer = issuerFrom(flags);
    const logger = loggerFrom({ output: 'text', logLevel: flags.logLevel }, io);
    const { documents } = await readAndBuild(
      { issuer, allowIssuerMismatch: flags.allowIssuerMismatch === true },
      clusterReaderFrom(flags),
      logger,
    );
    const built = documents.value;
    for (const warning of [...issuer.warnings, ...built.warnings]) logger.warn(warning);
    if (flags.out === undefined) {
      io.stdout.write(`${JSON.stringify({ discovery: built.discovery, jwks: built.jwks }, null, 2)}\n`);
      return;
    }
    const store = new FileStore(flags.out);
    const desired = desiredObjects(built, 'max-age=300');
    const plan = planPublish(desired, await readActual(store, desired.map((object) => object.key)));
    await applyPublish(plan, store);
    io.stdout.write(`${plan.writes.length === 0 ? 'unchanged' : 'wrote'}: ${desired.map((object) => `${flags.out ?? ''}/${object.key}`).join(', ')}\n`);
  });
  return command;
}

import { Command, Option } from 'commander';
import { buildDocuments } from '../documents/index.js';
import { discoveryPath, jwksPath } from '../issuer.js';
import { defaultCacheControl, FileStore, publishDocuments } from '../publish/index.js';
import type { CliIo } from './io.js';
import {
  addClusterOptions,
  addProxyOption,
  addIssuerOptions,
  addLogOption,
  clusterReaderFrom,
  egressFromFlags,
  issuerFrom,
  loggerFrom,
  trustedKidsFrom,
  trustExposedKeyOption,
  type ClusterFlags,
  type EgressFlags,
  type IssuerFlags,
  type LogFlags,
} from './options.js';

interface RenderFlags extends IssuerFlags, ClusterFlags, LogFlags, EgressFlags {
  readonly out?: string;
  readonly allowKeyReplacement?: boolean;
  readonly trustExposedKey: string[];
}

export function renderCommand(io: CliIo): Command {
  const command = new Command('render')
    .summary('print the discovery document and JWKS (or write them to a directory); changes nothing remote')
    .description(
      'Reads the keys like sync does and prints {"discovery": ..., "jwks": ...} on stdout, for Terraform ' +
        'or GitOps. With --out DIR it writes DIR/.well-known/openid-configuration and DIR/openid/v1/jwks ' +
        '(byte for byte what sync publishes, with the same guards) instead.',
    );
  addIssuerOptions(command);
  addClusterOptions(command);
  command
    .addOption(new Option('--out <dir>', 'write the two documents under this directory instead of printing them'))
    .addOption(
      new Option(
        '--allow-key-replacement',
        "with --out: write even though the key set already there shares no kid with the cluster's (a re-keyed cluster)",
      ),
    )
    .addOption(trustExposedKeyOption());
  addProxyOption(command);
  addLogOption(command);
  command.action(async (flags: RenderFlags) => {
    const issuer = issuerFrom(flags);
    const logger = loggerFrom(flags, io);
    const metadata = await clusterReaderFrom(flags, { egress: egressFromFlags(flags, io.env) }).read();
    const documents = await buildDocuments(issuer, metadata, {
      allowIssuerMismatch: flags.allowIssuerMismatch === true,
    });
    for (const warning of [...issuer.warnings, ...documents.warnings]) logger.warn(warning);
    if (flags.out === undefined) {
      io.stdout.write(`${JSON.stringify({ discovery: documents.discovery, jwks: documents.jwks }, null, 2)}\n`);
      return;
    }
    const { out } = flags;
    const published = await publishDocuments(
      {
        issuer,
        documents,
        cacheControl: defaultCacheControl,
        allowKeyReplacement: flags.allowKeyReplacement === true,
        trustExposedKeys: trustedKidsFrom(flags.trustExposedKey),
        dryRun: false,
      },
      new FileStore(out),
      logger.child({ stage: 'publish' }),
    );
    for (const warning of published.warnings ?? []) logger.warn(warning);
    const outcome = published.value.written.length === 0 ? 'unchanged' : 'wrote';
    io.stdout.write(`${outcome}: ${[jwksPath, discoveryPath].map((path) => `${out}/${path}`).join(', ')}\n`);
  });
  return command;
}

import { Command, Option } from 'commander';
import { defaultCacheControl } from '../issuer.js';
import type { CliIo } from './io.js';
import {
  addClusterOptions,
  addIssuerOptions,
  addOutputOptions,
  addProxyOption,
  addStoreOptions,
  trustExposedKeyOption,
  type ClusterFlags,
  type EgressFlags,
  type IssuerFlags,
  type OutputFlags,
  type StoreFlags,
} from './options.js';
import { addRegisterOptions, type RegisterFlags } from './register.js';

export interface SyncFlags extends IssuerFlags, ClusterFlags, OutputFlags, StoreFlags, RegisterFlags, EgressFlags {
  readonly target?: string;
  readonly audience: string[];
  readonly cacheControl: string;
  readonly allowKeyReplacement?: boolean;
  readonly trustExposedKey: string[];
  readonly dryRun?: boolean;
  readonly register: boolean;
  /** false with `sync --no-publish` (register-only); absent for the daemon, which always publishes. */
  readonly publish?: boolean;
  readonly verify?: boolean;
  readonly caFile?: string;
  readonly timeout: string;
}

/** The flags of a sync run, which `daemon` takes too. */
export function addSyncOptions(command: Command): Command {
  addIssuerOptions(command);
  command.addOption(
    new Option(
      '--target <url>',
      's3://BUCKET[/PREFIX] or file://DIR (default: implied by an ' +
        'https://BUCKET.s3.REGION.amazonaws.com/PREFIX issuer)',
    ),
  );
  addClusterOptions(command);
  addStoreOptions(command);
  command
    .addOption(
      new Option('--cache-control <value>', 'Cache-Control of the published objects').default(defaultCacheControl),
    )
    .addOption(
      new Option(
        '--allow-key-replacement',
        "publish even though the published key set shares no kid with the cluster's (a re-keyed cluster)",
      ),
    )
    .addOption(trustExposedKeyOption())
    .addOption(new Option('--dry-run', 'print the plan; change nothing'))
    .addOption(new Option('--no-register', 'publish only; do not create or update the IAM OIDC provider'))
    .addOption(
      new Option(
        '--verify',
        'after publishing, run the checks of `irsa-issuer verify` (exit 4 when one fails; not with --dry-run)',
      ),
    )
    .addOption(
      new Option(
        '--ca-file <path>',
        "also trust this CA (PEM) for outbound TLS: S3, IAM, STS, --verify's and --no-publish's fetches (a " +
          'corporate or private CA); never used for the thumbprint',
      ),
    )
    .addOption(
      new Option(
        '--timeout <seconds>',
        'give up on any one stage (read, publish, register, ...) after this long; a run ends within six times it',
      ).default('60'),
    );
  addRegisterOptions(command);
  addProxyOption(command);
  return addOutputOptions(command);
}

export function syncCommand(io: CliIo): Command {
  const command = new Command('sync')
    .summary("read the cluster's signing keys and publish the issuer documents (the CronJob runs this)")
    .description(
      'Reads the service-account issuer metadata from the API server (or PEM files), builds the public ' +
        'discovery document and JWKS for --issuer, and publishes them to --target: only what differs is ' +
        'written, the JWKS before the discovery document, with conditional writes. Every guard runs ' +
        'before the first write. A second run with nothing new writes nothing.',
    );
  addSyncOptions(command);
  command.addOption(
    new Option(
      '--no-publish',
      'register only, for an issuer that already serves its own documents (GKE, AKS): the same as irsa-issuer ' +
        'register, which takes --issuer as tokens carry it, a trailing slash included',
    ),
  );
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  irsa-issuer sync --issuer https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod --no-register',
      '  irsa-issuer sync --issuer https://oidc.example.com/prod --target file://./public --dry-run',
      '  irsa-issuer sync --issuer https://my-bucket.s3.eu-west-1.amazonaws.com/prod --tag cluster=prod \\',
      '      --audience sts.amazonaws.com',
      '  irsa-issuer sync --no-publish --issuer https://container.googleapis.com/v1/projects/P/locations/L/clusters/C',
      '  irsa-issuer sync --issuer https://my-bucket.s3.eu-west-1.amazonaws.com/prod \\',
      '      --account-role arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod \\',
      '      --account-role arn:aws:iam::333333333333:role/irsa-issuer-registrar-prod#prod-cluster',
      '  HTTPS_PROXY=http://proxy.corp.example:3128 NO_PROXY=.corp.example irsa-issuer sync \\',
      '      --issuer https://my-bucket.s3.eu-west-1.amazonaws.com/prod --ca-file corp-root.pem',
      '',
      'Exit codes: 0 done, 1 failed (network, AWS, Kubernetes), 2 usage or configuration error,',
      '            3 refused by a safety guard (nothing written; except an exposed key: the key set',
      '            without it is published first), 4 verification failed.',
    ].join('\n'),
  );
  command.action(async (flags: SyncFlags) => {
    const { runSync } = await import('./sync-action.js');
    await runSync(flags, io);
  });
  return command;
}

import { Command, Option } from 'commander';
import { lockoutReason, ownTokenKid } from '../daemon/index.js';
import { ConfigError, RunFailedError } from '../errors.js';
import type { RunReport } from '../report.js';
import { defaultCacheControl, describeTarget } from '../publish/index.js';
import { sync, type SyncClients, type SyncRequest } from '../sync.js';
import { verificationFailure } from '../verify/index.js';
import type { CliIo } from './io.js';
import {
  addClusterOptions,
  addIssuerOptions,
  addOutputOptions,
  addProxyOption,
  audiencesFrom,
  caFileFrom,
  clusterReaderFrom,
  egressFromFlags,
  issuerFrom,
  loggerFrom,
  targetFrom,
  timeoutMsFrom,
  trustedKidsFrom,
  trustExposedKeyOption,
  type ClusterFlags,
  type EgressFlags,
  type IssuerFlags,
  type OutputFlags,
} from './options.js';
import { addRegisterOptions, registrationFrom, runRegisterOnly, type RegisterFlags } from './register.js';
import { renderRunReport } from './report.js';
import { addStoreOptions, storeFor, type StoreFlags } from './store.js';

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

/** `--cache-control`: becomes an HTTP header on each object, so only printable ASCII may pass. */
function cacheControlFrom(raw: string): string {
  if (raw.trim() === '' || !/^[\x20-\x7e]+$/.test(raw)) {
    throw new ConfigError(
      `--cache-control ${JSON.stringify(raw)} is not a valid header value (printable ASCII, no line breaks), ` +
        'e.g. max-age=300.',
    );
  }
  return raw;
}

/**
 * Everything a run needs, built once from the flags: the request, and the clients (kubeconfig,
 * S3, IAM) that a daemon reuses run after run. Throws ConfigError (exit 2) before any request.
 */
export async function syncSetup(flags: SyncFlags, io: CliIo): Promise<{ request: SyncRequest; clients: SyncClients }> {
  const issuer = issuerFrom(flags);
  const target = targetFrom(flags.target, issuer);
  const logger = loggerFrom(flags, io);
  logger.debug({ issuer: issuer.url, target: describeTarget(target) }, 'starting sync');
  const ca = flags.caFile === undefined ? undefined : await caFileFrom(flags.caFile);
  const egress = egressFromFlags(flags, io.env, ca);
  const audiences = audiencesFrom(flags.audience);
  if (!flags.register && (flags.accountRole.length > 0 || !flags.homeAccount)) {
    throw new ConfigError(
      '--no-register keeps the IAM OIDC provider out of the run; --account-role and --no-home-account are about ' +
        'where it is registered: drop one or the other.',
    );
  }
  const request: SyncRequest = {
    issuer,
    audiences,
    allowIssuerMismatch: flags.allowIssuerMismatch === true,
    allowKeyReplacement: flags.allowKeyReplacement === true,
    trustExposedKeys: trustedKidsFrom(flags.trustExposedKey),
    cacheControl: cacheControlFrom(flags.cacheControl),
    dryRun: flags.dryRun === true,
    stageTimeoutMs: timeoutMsFrom(flags.timeout),
    ...(flags.register ? { register: registrationFrom(flags, target, audiences, logger, egress) } : {}),
    ...(flags.verify === true ? { verify: { ...(ca === undefined ? {} : { ca }), egress } } : {}),
  };
  return {
    request,
    clients: { cluster: clusterReaderFrom(flags, { egress }), store: storeFor(target, flags, logger, egress), logger },
  };
}

/**
 * `sync --no-publish` is `irsa-issuer register`: flags that only steer reading a cluster or
 * publishing would be silently ignored, so they are refused instead.
 */
function checkRegisterOnlyFlags(flags: SyncFlags): void {
  const publishing: [string, boolean][] = [
    ['--target', flags.target !== undefined],
    ['--kubeconfig', flags.kubeconfig !== undefined],
    ['--context', flags.context !== undefined],
    ['--public-key-file', flags.publicKeyFile.length > 0],
    ['--s3-endpoint', flags.s3Endpoint !== undefined],
    ['--cache-control', flags.cacheControl !== defaultCacheControl],
    ['--allow-issuer-mismatch', flags.allowIssuerMismatch === true],
    ['--allow-key-replacement', flags.allowKeyReplacement === true],
    ['--trust-exposed-key', flags.trustExposedKey.length > 0],
  ];
  const given = publishing.filter(([, set]) => set).map(([flag]) => flag);
  if (!flags.register) {
    throw new ConfigError(
      '--no-publish with --no-register leaves nothing to do: --no-publish registers the provider for an issuer that ' +
        'already serves its own documents. Drop one of them.',
    );
  }
  if (given.length > 0) {
    throw new ConfigError(
      `--no-publish reads nothing from a cluster and publishes nothing, so ${given.join(', ')} would be ignored; ` +
        'drop them (or drop --no-publish to publish).',
    );
  }
}

/**
 * In the cluster the job reaches AWS with its own token, which STS checks against the very JWKS it
 * publishes: if the key that signed it is not published, the next run cannot reach AWS to fix it.
 * The report says so while there is still a way back that needs no workstation.
 */
async function withLockout(report: RunReport, env: NodeJS.ProcessEnv): Promise<RunReport> {
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  if (tokenFile === undefined || tokenFile === '' || report.kids.length === 0 || report.dryRun) return report;
  const own = await ownTokenKid(tokenFile);
  if (!('kid' in own) || report.kids.includes(own.kid)) return report;
  return { ...report, warnings: [...report.warnings, lockoutReason(own.kid, report.issuer, 'job')] };
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
    if (flags.publish === false) {
      checkRegisterOnlyFlags(flags);
      await runRegisterOnly(flags, io);
      return;
    }
    const { request, clients } = await syncSetup(flags, io);
    const report = await sync(request, clients).catch((error: unknown) => {
      // What the stages before the failure did, written above all, reaches stdout before the error.
      if (error instanceof RunFailedError) io.stdout.write(renderRunReport(error.report, flags.output));
      throw error;
    });
    io.stdout.write(renderRunReport(await withLockout(report, io.env), flags.output));
    const failure = report.verification === undefined ? undefined : verificationFailure(report.verification);
    if (failure !== undefined) throw failure;
  });
  return command;
}

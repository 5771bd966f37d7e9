/** What `irsa-issuer sync` does, loaded only when it runs (sync.ts declares the command). */
import { lockoutReason, ownTokenKid } from '../lockout.js';
import { ConfigError, RunFailedError } from '../errors.js';
import { defaultCacheControl } from '../issuer.js';
import type { RunReport } from '../report.js';
import { describeTarget } from '../publish/index.js';
import { sync, type SyncClients, type SyncRequest } from '../sync.js';
import { verificationFailure } from '../verify/index.js';
import {
  audiencesFrom,
  caFileFrom,
  clusterReaderFrom,
  egressFromFlags,
  issuerFrom,
  loggerFrom,
  storeFor,
  targetFrom,
  timeoutMsFrom,
  trustedKidsFrom,
} from './flags.js';
import type { CliIo } from './io.js';
import { registrationFrom, runRegisterOnly } from './register-action.js';
import { renderRunReport } from './report.js';
import type { SyncFlags } from './sync.js';

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
    ...(flags.register ? { register: await registrationFrom(flags, target, audiences, logger, egress) } : {}),
    ...(flags.verify === true ? { verify: { ...(ca === undefined ? {} : { ca }), egress } } : {}),
  };
  return {
    request,
    clients: {
      cluster: await clusterReaderFrom(flags, { egress }),
      store: await storeFor(target, flags, logger, egress),
      logger,
    },
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

/** Runs `irsa-issuer sync` and prints its report; throws what the CLI turns into the exit code. */
export async function runSync(flags: SyncFlags, io: CliIo): Promise<void> {
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
}

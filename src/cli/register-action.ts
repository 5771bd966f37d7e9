/** What `irsa-issuer register` (and `sync --no-publish`) does, loaded only when it runs (register.ts declares it). */
import type { Egress } from '../egress/index.js';
import { ConfigError, RunFailedError } from '../errors.js';
import { createIamClient, iamRegionFor, validateProviderRequest } from '../iam/index.js';
import { verifyIssuerRules } from '../issuer.js';
import type { Logger } from '../log.js';
import type { Target } from '../publish/index.js';
import { registerOnly, type RegisterOnlyRequest, type Registration } from '../sync.js';
import { normaliseThumbprints, thumbprintFromUrl } from '../thumbprint/index.js';
import { verificationFailure } from '../verify/index.js';
import { accountsFrom } from './accounts.js';
import { audiencesFrom, caFileFrom, egressFromFlags, issuerFrom, loggerFrom, timeoutMsFrom } from './flags.js';
import type { CliIo } from './io.js';
import type { StoreFlags } from './options.js';
import type { RegisterFlags, RegisterOnlyFlags } from './register.js';
import { renderRunReport } from './report.js';

function parseTags(pairs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new ConfigError(`--tag ${JSON.stringify(pair)} is not KEY=VALUE (e.g. --tag cluster=prod).`);
    tags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return tags;
}

/** What registering needs: the flags, an IAM client and the TLS probe of the jwks_uri host. */
export async function registrationFrom(
  flags: RegisterFlags & StoreFlags,
  target: Target | undefined,
  audiences: readonly string[],
  logger: Logger,
  egress?: Egress,
): Promise<Registration> {
  const tags = parseTags(flags.tag);
  validateProviderRequest(audiences, tags);
  // IAM is global; the bucket's region only decides the partition (aws, aws-cn, aws-us-gov).
  const region = iamRegionFor(flags.region ?? (target?.kind === 's3' ? target.region : undefined));
  const route = egress === undefined ? {} : { egress };
  const provider = await createIamClient({ logger, region, ...route });
  const accounts = await accountsFrom(flags, provider, region, logger, egress);
  return {
    pinnedThumbprints: normaliseThumbprints(flags.thumbprint),
    tags,
    pruneAudiences: flags.pruneAudiences === true,
    pruneThumbprints: flags.pruneThumbprints === true,
    provider,
    probe: (url) => thumbprintFromUrl(url, route),
    ...(accounts === undefined ? {} : { accounts }),
  };
}

/** Everything a register-only run needs, from the flags; ConfigError (exit 2) before any request. */
async function registerOnlySetup(
  flags: RegisterOnlyFlags,
  io: CliIo,
): Promise<{ request: RegisterOnlyRequest; logger: Logger }> {
  // An issuer that is already public is taken exactly as its tokens carry it, a trailing slash included (AKS).
  const issuer = issuerFrom(flags, verifyIssuerRules);
  const audiences = audiencesFrom(flags.audience);
  const stageTimeoutMs = timeoutMsFrom(flags.timeout);
  const ca = flags.caFile === undefined ? undefined : await caFileFrom(flags.caFile);
  const egress = egressFromFlags(flags, io.env, ca);
  const logger = loggerFrom(flags, io);
  logger.debug({ issuer: issuer.url }, 'starting register-only run');
  const request: RegisterOnlyRequest = {
    issuer,
    audiences,
    dryRun: flags.dryRun === true,
    register: await registrationFrom(flags, undefined, audiences, logger, egress),
    stageTimeoutMs,
    egress,
    ...(ca === undefined ? {} : { ca }),
    ...(flags.verify === true ? { verify: true } : {}),
  };
  return { request, logger };
}

/** Runs a register-only run and prints its report; throws what the CLI turns into the exit code. */
export async function runRegisterOnly(flags: RegisterOnlyFlags, io: CliIo): Promise<void> {
  const { request, logger } = await registerOnlySetup(flags, io);
  const report = await registerOnly(request, logger).catch((error: unknown) => {
    if (error instanceof RunFailedError) io.stdout.write(renderRunReport(error.report, flags.output));
    throw error;
  });
  io.stdout.write(renderRunReport(report, flags.output));
  const failure = report.verification === undefined ? undefined : verificationFailure(report.verification);
  if (failure !== undefined) throw failure;
}

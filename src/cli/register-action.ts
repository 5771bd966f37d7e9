import { Command, Option } from 'commander';
import type { Egress } from '../egress/index.js';
import { ConfigError, RunFailedError } from '../errors.js';
import { createIamClient, iamRegionFor, validateProviderRequest } from '../iam/index.js';
import type { Logger } from '../log.js';
import type { Target } from '../publish/index.js';
import { registerOnly, type RegisterOnlyRequest, type Registration } from '../sync.js';
import { normaliseThumbprints, thumbprintFromUrl } from '../thumbprint/index.js';
import { verificationFailure, verifyIssuerRules } from '../verify/index.js';
import { accountsFrom, addAccountOptions, type AccountFlags } from './accounts.js';
import type { CliIo } from './io.js';
import {
  addOutputOptions,
  addProxyOption,
  audiencesFrom,
  caFileFrom,
  egressFromFlags,
  issuerFrom,
  issuerOption,
  loggerFrom,
  repeatable,
  timeoutMsFrom,
  addAudienceOption,
  type EgressFlags,
  type OutputFlags,
} from './options.js';
import { renderRunReport } from './report.js';
import type { StoreFlags } from './store.js';

export interface RegisterFlags extends AccountFlags {
  readonly thumbprint: string[];
  readonly tag: string[];
  readonly pruneAudiences?: boolean;
  readonly pruneThumbprints?: boolean;
}

export function addRegisterOptions(command: Command): Command {
  addAudienceOption(command, 'client ID the IAM OIDC provider must accept');
  addAccountOptions(command, 'create and keep the IAM OIDC provider');
  return command
    .addOption(
      repeatable(
        '--thumbprint <sha1>',
        "pin the provider's thumbprint(s) instead of probing the jwks_uri host over TLS (repeatable, 40 hex digits)",
      ),
    )
    .addOption(
      repeatable('--tag <key=value>', 'tag the IAM OIDC provider (repeatable); tags you did not ask for are kept'),
    )
    .addOption(
      new Option(
        '--prune-audiences',
        'remove client IDs the provider lists but --audience does not (default: keep them)',
      ),
    )
    .addOption(
      new Option(
        '--prune-thumbprints',
        "remove thumbprints the provider lists but this run does not want (default: keep them, within IAM's five)",
      ),
    );
}

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
export function registrationFrom(
  flags: RegisterFlags & StoreFlags,
  target: Target | undefined,
  audiences: readonly string[],
  logger: Logger,
  egress?: Egress,
): Registration {
  const tags = parseTags(flags.tag);
  validateProviderRequest(audiences, tags);
  // IAM is global; the bucket's region only decides the partition (aws, aws-cn, aws-us-gov).
  const region = iamRegionFor(flags.region ?? (target?.kind === 's3' ? target.region : undefined));
  const route = egress === undefined ? {} : { egress };
  const provider = createIamClient({ logger, region, ...route });
  const accounts = accountsFrom(flags, provider, region, logger, egress);
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

/** The flags of a register-only run: `irsa-issuer register`, and `sync --no-publish` (whose flags include these). */
export interface RegisterOnlyFlags extends RegisterFlags, OutputFlags, EgressFlags {
  readonly issuer?: string;
  readonly audience: string[];
  readonly region?: string;
  readonly dryRun?: boolean;
  readonly verify?: boolean;
  readonly caFile?: string;
  readonly timeout: string;
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
    register: registrationFrom(flags, undefined, audiences, logger, egress),
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

export function registerCommand(io: CliIo): Command {
  const command = new Command('register')
    .summary('register the IAM OIDC provider for an issuer that already serves its own documents (GKE, AKS)')
    .description(
      'For an issuer whose discovery document and JWKS are already public (GKE, AKS, any platform that serves ' +
        'them): fetches both anonymously over HTTPS as STS does, holds them to the document checks of ' +
        '`irsa-issuer verify` (issuer byte for byte, https jwks_uri, public signing keys STS accepts), computes the ' +
        'TLS thumbprint of the jwks_uri host (and of the discovery host when it differs), then creates or reconciles ' +
        'the IAM OIDC provider. Reads nothing from a cluster and publishes nothing; the same as `sync --no-publish`. ' +
        'A second run with nothing new writes nothing.',
    )
    .addOption(issuerOption(verifyIssuerRules));
  addRegisterOptions(command);
  addProxyOption(command);
  command
    .addOption(
      new Option(
        '--region <region>',
        'an AWS region of the partition the provider lives in (cn-*, us-gov-*; default: the commercial partition)',
      ),
    )
    .addOption(new Option('--dry-run', 'print the plan; change nothing'))
    .addOption(
      new Option(
        '--verify',
        'after registering, run the checks of `irsa-issuer verify` against the provider (exit 4 when one fails)',
      ),
    )
    .addOption(
      new Option(
        '--ca-file <path>',
        'also trust this CA (PEM) for outbound TLS: the fetches, IAM and STS (a corporate or private CA); never ' +
          'used for the thumbprint',
      ),
    )
    .addOption(
      new Option(
        '--timeout <seconds>',
        'give up on any one stage (read, thumbprint, register) after this long',
      ).default('60'),
    );
  addOutputOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  irsa-issuer register --issuer https://container.googleapis.com/v1/projects/P/locations/L/clusters/C',
      '  irsa-issuer register --dry-run --tag cluster=aks-prod \\',
      '      --issuer https://westeurope.oic.prod-aks.azure.com/TENANT/GUID/',
      '',
      'The issuer is taken exactly as tokens carry it in "iss", a trailing slash included (AKS): IAM keeps',
      'it in the provider URL, so trust-policy condition keys read HOST/PATH/:sub. See docs/public-issuers.md.',
      '',
      'Exit codes: 0 done, 1 failed (network, AWS), 2 usage or configuration error,',
      '            3 refused: the JWKS publishes private key material (nothing registered),',
      '            4 the documents cannot be read or fail a check of verify (nothing registered),',
      '              or --verify found a ✗.',
    ].join('\n'),
  );
  command.action(async (flags: RegisterOnlyFlags) => {
    await runRegisterOnly(flags, io);
  });
  return command;
}

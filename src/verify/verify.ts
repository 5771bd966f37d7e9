/**
 * "Will STS accept my tokens, and if not, why?" Every check STS makes, in its order, from data and
 * injected clients; each check that cannot run says why instead. Nothing here writes anything.
 */
import type { Account } from '../accounts/index.js';
import type { ClusterReader } from '../cluster/index.js';
import type { Egress } from '../egress/index.js';
import { VerificationFailedError } from '../errors.js';
import { withDeadline, type ProviderApi } from '../iam/index.js';
import type { Issuer } from '../issuer.js';
import type { Logger } from '../log.js';
import type { StageOutcome } from '../report.js';
import { probeThumbprint } from '../thumbprint/index.js';
import { probeOnce, verifyAccounts, type AccountVerification } from './accounts.js';
import { skipped, type Check } from './check.js';
import { checkDiscovery, checkIssuerClaim, checkJwks, jwksUriOf, type PublicFetch } from './documents.js';
import { defaultFetchOptions, fetchPublic, type PublicFetchOptions } from './fetch.js';
import { checkKeys, readClusterKeys } from './keys.js';
import { checkAudience, checkProvider, checkThumbprint, type Probe } from './provider.js';
import { checkLimits, checkMetadata, checkSigning } from './published.js';
import { checkSts, type StsApi } from './sts.js';
import { checkToken, type ServiceAccountRef, type TokenMinter } from './token.js';

export interface VerifyOptions {
  readonly issuer: Issuer;
  /** Client IDs the provider must list; the token is minted for the first (STS is asked to accept it). */
  readonly audiences: readonly [string, ...string[]];
  /** Mint a token for this service account and verify it (needs `mintToken`). */
  readonly serviceAccount?: ServiceAccountRef;
  /** Exchange that token at STS for this role (needs `sts` and a verified token). */
  readonly roleArn?: string;
  /** Per network step (each GET, the TLS probe); 10 s when omitted. */
  readonly timeoutMs?: number;
  /** An extra CA (PEM) to trust when fetching the documents: a private CA. */
  readonly ca?: string;
  /** The proxy route (HTTPS_PROXY, NO_PROXY, --proxy) of the GETs and the TLS probe; direct when omitted. */
  readonly egress?: Egress;
}

export interface VerifyDependencies {
  /** The cluster's keys (and issuer): the API server or PEM files. Absent: `keys` is skipped. */
  readonly cluster?: ClusterReader;
  /** TokenRequest against the cluster. Absent: `token` and `sts` are skipped. */
  readonly mintToken?: TokenMinter;
  /** IAM, read-only. Absent (`--no-aws`): `provider`, `thumbprint` and `audience` are skipped. */
  readonly provider?: ProviderApi;
  /**
   * `--account-role`: more accounts to run the IAM checks in, each reached through its role.
   * With these and no `provider`, the home account was left out (`--no-home-account`).
   */
  readonly accounts?: readonly Account[];
  /** Needed for `sts`; the CLI builds an anonymous client. */
  readonly sts?: StsApi;
  /** The TLS probe; `probeThumbprint` when omitted. */
  readonly probe?: Probe;
  /** The anonymous GET; `fetchPublic` when omitted. */
  readonly fetch?: PublicFetch;
  readonly logger?: Logger;
}

export interface VerifyReport {
  readonly command: 'verify';
  readonly issuer: string;
  /** All twelve, in the order of `CheckId`: discovery, issuer, jwks, metadata, limits, signing, keys, provider, thumbprint, audience, token, sts. */
  readonly checks: readonly Check[];
  /** With `--account-role`: the IAM checks in each of those accounts. */
  readonly accounts?: readonly AccountVerification[];
  /** No check failed (skipped ones do not count). */
  readonly ok: boolean;
  /** About the issuer itself (a port IAM refuses). */
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

export async function verifyIssuer(
  options: VerifyOptions,
  dependencies: VerifyDependencies = {},
): Promise<VerifyReport> {
  const started = performance.now();
  const { issuer, audiences } = options;
  const [audience] = audiences;
  const fetch = dependencies.fetch ?? fetchPublic;
  const { egress } = options;
  const baseProbe = dependencies.probe ?? probeThumbprint;
  // Every account is shown the same chain: the host is probed once per verify.
  const probe = probeOnce((target, probeOptions) =>
    baseProbe(target, egress === undefined ? probeOptions : { ...probeOptions, egress }),
  );
  const timeoutMs = options.timeoutMs ?? defaultFetchOptions.timeoutMs;
  const fetchOptions: PublicFetchOptions = {
    ...defaultFetchOptions,
    timeoutMs,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(egress === undefined ? {} : { egress }),
  };
  const log = dependencies.logger?.child({ stage: 'verify' });
  const checks: Check[] = [];
  const record = (check: Check): void => {
    checks.push(check);
    log?.debug({ check: check.id, status: check.status }, check.detail);
  };

  const [cluster, discovery] = await Promise.all([
    dependencies.cluster === undefined ? undefined : readClusterKeys(dependencies.cluster),
    checkDiscovery(issuer, fetch, fetchOptions),
  ]);
  const clusterIssuer = cluster?.ok === true ? cluster.value.issuer : undefined;
  record(discovery.check);
  const document = discovery.value;
  const noDocument = 'not run: the discovery document could not be read';
  record(document === undefined ? skipped('issuer', noDocument) : checkIssuerClaim(issuer, document, clusterIssuer));
  const jwks =
    document === undefined
      ? { check: skipped('jwks', noDocument) }
      : await checkJwks(issuer, document, fetch, fetchOptions);
  record(jwks.check);
  const published = jwks.value;
  record(document === undefined ? skipped('metadata', noDocument) : checkMetadata(issuer, document, published));
  const noJwks = 'not run: the public JWKS could not be read';
  record(published === undefined ? skipped('limits', noJwks) : checkLimits(issuer, published, fetchOptions.maxBytes));
  record(published === undefined ? skipped('signing', noJwks) : checkSigning(issuer, published));

  if (cluster === undefined)
    record(skipped('keys', 'not run: no cluster access (pass --kubeconfig/--context, or --public-key-file)'));
  else if (!cluster.ok) record(cluster.check);
  else if (published === undefined) record(skipped('keys', noJwks));
  else record(await checkKeys(issuer, cluster.value, published));

  const noAws =
    dependencies.accounts === undefined
      ? 'not run: the IAM checks are off (verify --no-aws, or sync --no-register)'
      : "not run: --no-home-account (the base credentials' account is left out; the accounts below are checked)";
  const provider =
    dependencies.provider === undefined
      ? { check: skipped('provider', noAws) }
      : // The IAM reads, retries included, get the step's deadline like every other network step.
        await checkProvider(issuer, audience, withDeadline(dependencies.provider, AbortSignal.timeout(timeoutMs)));
  record(provider.check);
  const actual = provider.value;
  const noProvider = dependencies.provider === undefined ? noAws : 'not run: there is no provider to compare with';
  const jwksUri = document === undefined ? undefined : jwksUriOf(document);
  let presented;
  if (actual === undefined) record(skipped('thumbprint', noProvider));
  else if (jwksUri === undefined)
    record(skipped('thumbprint', 'not run: the discovery document names no https:// jwks_uri to probe'));
  else {
    const thumbprint = await checkThumbprint(issuer, actual, jwksUri, probe, timeoutMs);
    record(thumbprint.check);
    presented = thumbprint.value;
  }
  record(actual === undefined ? skipped('audience', noProvider) : checkAudience(issuer, actual, audiences));
  const accounts =
    dependencies.accounts === undefined
      ? undefined
      : await verifyAccounts(dependencies.accounts, { issuer, audiences, jwksUri, probe, timeoutMs });

  const { serviceAccount } = options;
  let verified;
  if (serviceAccount === undefined)
    record(skipped('token', 'not run: no --service-account NAMESPACE/NAME to mint a token for'));
  else if (dependencies.mintToken === undefined)
    record(
      skipped(
        'token',
        'not run: --service-account mints a token with TokenRequest, which needs API server access (a kubeconfig or ' +
          "the pod's service account; --public-key-file gives none)",
      ),
    );
  else if (published === undefined) record(skipped('token', noJwks));
  else {
    const token = await checkToken(issuer, published, serviceAccount, audience, dependencies.mintToken);
    record(token.check);
    verified = token.value;
  }

  if (options.roleArn === undefined) record(skipped('sts', 'not run: no --role-arn to assume'));
  else if (dependencies.sts === undefined) record(skipped('sts', 'not run: no STS client'));
  else if (serviceAccount === undefined || verified === undefined) {
    record(
      skipped(
        'sts',
        serviceAccount === undefined
          ? 'not run: needs a token (--service-account NAMESPACE/NAME)'
          : 'not run: the token did not verify against the public JWKS, so STS would reject it too',
      ),
    );
  } else {
    record(
      await checkSts(
        {
          issuer,
          roleArn: options.roleArn,
          serviceAccount,
          audience,
          presented,
          // STS looks in the role's account: its provider is the one the fix names.
          providerArn: providerInAccountOf(options.roleArn, accounts) ?? actual?.arn,
        },
        verified,
        dependencies.sts,
      ),
    );
  }

  const report: VerifyReport = {
    command: 'verify',
    issuer: issuer.url,
    checks,
    ...(accounts === undefined ? {} : { accounts }),
    ok: allChecks(checks, accounts).every(({ check }) => check.status !== 'failed'),
    warnings: issuer.warnings,
    durationMs: Math.round(performance.now() - started),
  };
  const count = (status: Check['status']) => checks.filter((check) => check.status === status).length;
  log?.info(
    {
      issuer: issuer.url,
      ok: report.ok,
      passed: count('passed'),
      failed: count('failed'),
      skipped: count('skipped'),
      durationMs: report.durationMs,
    },
    'verify finished',
  );
  return report;
}

/** The provider found in the account of `roleArn`, when that account was checked. */
function providerInAccountOf(roleArn: string, accounts: readonly AccountVerification[] | undefined) {
  const account = roleArn.split(':')[4];
  return accounts?.find((candidate) => candidate.account === account)?.providerArn;
}

/** Every check, the accounts' ones named `ACCOUNT:id` (for the failure lists). */
function allChecks(
  checks: readonly Check[],
  accounts: readonly AccountVerification[] | undefined,
): { name: string; check: Check }[] {
  return [
    ...checks.map((check) => ({ name: check.id, check })),
    ...(accounts ?? []).flatMap((account) =>
      account.checks.map((check) => ({ name: `${account.account}:${check.id}`, check })),
    ),
  ];
}

/** The verify stage of a run (sync --verify): one line for the report, how many checks passed, which failed. */
export function verifyStage(report: VerifyReport): StageOutcome<VerifyReport> {
  const every = allChecks(report.checks, report.accounts);
  const of = (status: Check['status']) => every.filter(({ check }) => check.status === status);
  const failures = of('failed').map(({ name }) => name);
  const which = failures.length > 0 ? ` (${failures.join(', ')})` : '';
  return {
    value: report,
    status: report.ok ? 'unchanged' : 'failed',
    summary: `${of('passed').length} passed, ${failures.length} failed${which}, ${of('skipped').length} skipped`,
  };
}

/** The exit-4 error for a report with a ✗, or undefined when every check that ran passed. */
export function verificationFailure(report: VerifyReport): VerificationFailedError | undefined {
  if (report.ok) return undefined;
  const failures = allChecks(report.checks, report.accounts)
    .filter(({ check }) => check.status === 'failed')
    .map(({ name }) => name);
  return new VerificationFailedError(
    `verification of ${report.issuer} failed: ${failures.join(', ')}. Each ✗ in the report names its fix.`,
  );
}

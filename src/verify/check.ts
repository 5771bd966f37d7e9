/**
 * The questions STS (and a strict OIDC client) asks of an issuer: first what a stranger can fetch,
 * then what those documents say, then the cluster's side (`keys`, which STS cannot ask), then IAM,
 * then a real token and its exchange.
 */
export type CheckId =
  | 'discovery'
  | 'issuer'
  | 'jwks'
  | 'metadata'
  | 'limits'
  | 'signing'
  | 'keys'
  | 'provider'
  | 'thumbprint'
  | 'audience'
  | 'token'
  | 'sts';

const checkTitles: Readonly<Record<CheckId, string>> = {
  discovery: 'discovery document is public',
  issuer: 'issuer matches',
  jwks: 'JWKS is public',
  metadata: 'discovery document has the members clients require',
  limits: "JWKS is within STS's limits",
  signing: 'every published key is a signing key STS accepts',
  keys: "published keys match the cluster's",
  provider: 'IAM OIDC provider exists',
  thumbprint: 'provider thumbprint matches the jwks_uri host',
  audience: 'provider accepts the audience',
  token: 'a fresh token verifies against the public JWKS',
  sts: 'STS exchanges the token for the role',
};

/** `skipped`: not run, because what it needs failed or was not given; `detail` says which. */
export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface Check {
  readonly id: CheckId;
  readonly title: string;
  readonly status: CheckStatus;
  /** True only for `passed`. */
  readonly ok: boolean;
  /** What was found (or, when skipped, why it did not run). */
  readonly detail: string;
  /** What to do; present on every failure. */
  readonly fix?: string;
  /** Worth knowing but not a reason for STS to refuse (a Content-Type, an extra key). */
  readonly warnings: readonly string[];
}

export function passed(id: CheckId, detail: string, warnings: readonly string[] = []): Check {
  return { id, title: checkTitles[id], status: 'passed', ok: true, detail, warnings };
}

export function failed(id: CheckId, detail: string, fix: string, warnings: readonly string[] = []): Check {
  return { id, title: checkTitles[id], status: 'failed', ok: false, detail, fix, warnings };
}

export function skipped(id: CheckId, why: string): Check {
  return { id, title: checkTitles[id], status: 'skipped', ok: false, detail: why, warnings: [] };
}

/** A check's result plus what later checks need from it. */
export interface Outcome<T> {
  readonly check: Check;
  readonly value?: T;
}

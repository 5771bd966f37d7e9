import type { Egress } from '../egress/index.js';
/**
 * Register-only's read: an issuer that already serves its own documents (GKE, AKS, any platform)
 * is read the way STS reads it and held to verify's own document checks, in verify's order. A
 * provider is only worth registering for an issuer whose documents pass them, so any ✗ refuses the
 * run before IAM is touched: private key material as a guard (exit 3), anything else as verify
 * reports it (exit 4).
 */
import { PrivateKeyMaterialError, VerificationFailedError } from '../errors.js';
import type { Issuer } from '../issuer.js';
import type { StageOutcome } from '../report.js';
import type { Check } from './check.js';
import { checkDiscovery, checkIssuerClaim, checkJwks, type PublicFetch } from './documents.js';
import { defaultFetchOptions, fetchPublic, type PublicFetchOptions } from './fetch.js';
import { checkLimits, checkMetadata, checkSigning } from './published.js';

/** What the later stages need from the issuer's own documents. */
export interface PublicIssuer {
  /** The discovery document's `jwks_uri`, as published: its host is the one IAM needs a thumbprint of. */
  readonly jwksUri: string;
  readonly kids: readonly string[];
}

export interface PublicIssuerOptions {
  /** Each GET must finish within this; verify's 10 s when omitted. */
  readonly timeoutMs?: number;
  /** An extra CA (PEM) to trust when fetching: a private CA, for which AWS relies on the thumbprint. */
  readonly ca?: string;
  /** The proxy route (HTTPS_PROXY, NO_PROXY, --proxy); direct when omitted. */
  readonly egress?: Egress;
  /** The anonymous GET; `fetchPublic` when omitted. */
  readonly fetch?: PublicFetch;
}

function refusal(issuer: Issuer, failures: readonly Check[]): VerificationFailedError {
  const lines = failures.map((check) => `✗ ${check.id}: ${check.detail}\n  fix: ${check.fix ?? ''}`);
  return new VerificationFailedError(
    `The public documents of ${issuer.url} fail the checks of irsa-issuer verify, so STS would reject its ` +
      `tokens; no IAM OIDC provider was created or changed.\n${lines.join('\n')}`,
  );
}

/**
 * The read stage of a register-only run: discovery document, issuer, JWKS, metadata, STS's limits
 * and signing keys, each by verify's own check. Throws (nothing registered) when one fails.
 */
export async function readPublicIssuer(
  issuer: Issuer,
  options: PublicIssuerOptions = {},
): Promise<StageOutcome<PublicIssuer>> {
  const fetch = options.fetch ?? fetchPublic;
  const fetchOptions: PublicFetchOptions = {
    ...defaultFetchOptions,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.egress === undefined ? {} : { egress: options.egress }),
  };
  const discovery = await checkDiscovery(issuer, fetch, fetchOptions);
  const document = discovery.value;
  if (document === undefined) throw refusal(issuer, [discovery.check]);
  const claim = checkIssuerClaim(issuer, document, undefined);
  const jwks = await checkJwks(issuer, document, fetch, fetchOptions);
  if (jwks.leaked !== undefined) {
    throw new PrivateKeyMaterialError(
      `Refused: ${jwks.check.detail}. No IAM OIDC provider may trust this issuer until it is fixed; nothing was ` +
        `registered. ${jwks.check.fix ?? ''}`,
    );
  }
  const published = jwks.value;
  const checks = [
    discovery.check,
    claim,
    jwks.check,
    checkMetadata(issuer, document, published),
    ...(published === undefined
      ? []
      : [checkLimits(issuer, published, fetchOptions.maxBytes), checkSigning(issuer, published)]),
  ];
  const failures = checks.filter((check) => check.status === 'failed');
  if (failures.length > 0 || published === undefined) throw refusal(issuer, failures);
  const kids = published.keys.map((key) => (typeof key.kid === 'string' ? key.kid : '(no kid)'));
  return {
    value: { jwksUri: published.uri, kids },
    status: 'unchanged',
    summary:
      `${issuer.discoveryUrl} names this issuer and ${published.uri} (${kids.length} key(s)); ` +
      `${checks.length} checks of verify passed`,
    warnings: checks.flatMap((check) => check.warnings),
  };
}

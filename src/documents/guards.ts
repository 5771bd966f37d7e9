import type { Issuer } from '../config.js';
import { ForeignIssuerError, IssuerMismatchError, KeyReplacementError } from '../errors.js';
import type { JsonWebKeySet } from './jwks.js';

/**
 * The kube-apiserver flags that make the cluster sign tokens for the public issuer. The old issuer
 * stays as a second --service-account-issuer so tokens issued before the change keep working.
 * https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/
 */
export function apiServerFlags(issuer: Issuer, clusterIssuer?: string): string[] {
  const flags = [`--service-account-issuer=${issuer.url}`];
  if (clusterIssuer !== undefined && clusterIssuer !== issuer.url) flags.push(`--service-account-issuer=${clusterIssuer}`);
  flags.push(`--service-account-jwks-uri=${issuer.jwksUrl}`);
  return flags;
}

/**
 * Tokens carry the cluster's issuer in `iss`; STS looks the provider up by that string. Publishing
 * for another issuer would look healthy and fail every AssumeRoleWithWebIdentity.
 */
export function checkIssuerMatches(issuer: Issuer, clusterIssuer: string | undefined, allowMismatch: boolean): string | undefined {
  if (clusterIssuer === undefined || clusterIssuer === issuer.url) return undefined;
  const note = `The cluster signs tokens for issuer ${clusterIssuer}, not ${issuer.url}`;
  if (allowMismatch) return `${note}; publishing anyway (--allow-issuer-mismatch). STS will reject this cluster's tokens until the API server uses the public issuer.`;
  throw new IssuerMismatchError(
    `${note}, so STS would reject every token it signs. Nothing was written.\n` +
      `Set these kube-apiserver flags (the new, public issuer first; the old one after it keeps already-issued tokens valid):\n` +
      apiServerFlags(issuer, clusterIssuer).map((flag) => `  ${flag}`).join('\n') +
      `\nTo publish before the cluster switches (a migration), pass --allow-issuer-mismatch.`,
  );
}

function parsedJson(body: Uint8Array | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    return null;
  }
}

/** The published discovery document, if any, must be ours: the prefix may belong to someone else. */
export function checkPublishedIssuer(issuer: Issuer, publishedDiscovery: Uint8Array | undefined, where: string): void {
  const published = parsedJson(publishedDiscovery);
  if (published === undefined) return;
  const publishedIssuer = typeof published === 'object' && published !== null ? (published as { issuer?: unknown }).issuer : undefined;
  if (publishedIssuer === issuer.url) return;
  const what = typeof publishedIssuer === 'string' ? `names issuer ${publishedIssuer}` : 'is not a discovery document we can read';
  throw new ForeignIssuerError(
    `The discovery document already at ${where} ${what}, not ${issuer.url}; that prefix appears to belong to another issuer. Nothing was written. Publish to another prefix, or delete the object if it is really yours.`,
  );
}

/**
 * A published, non-empty JWKS that shares no kid with the cluster's keys means a wrong cluster or
 * kubeconfig context: replacing it would lock out every workload trusting the old keys.
 */
export function checkKeyContinuity(
  jwks: JsonWebKeySet,
  publishedJwks: Uint8Array | undefined,
  where: string,
  allowReplacement: boolean,
): string | undefined {
  const published = parsedJson(publishedJwks);
  if (published === undefined) return undefined;
  const keys = typeof published === 'object' && published !== null ? (published as { keys?: unknown }).keys : undefined;
  const publishedKids = Array.isArray(keys)
    ? keys.flatMap((key: unknown) => (typeof key === 'object' && key !== null && typeof (key as { kid?: unknown }).kid === 'string' ? [(key as { kid: string }).kid] : []))
    : undefined;
  if (publishedKids !== undefined && Array.isArray(keys) && keys.length === 0) return undefined;
  const newKids = new Set(jwks.keys.map((key) => key.kid));
  if (publishedKids?.some((kid) => newKids.has(kid))) return undefined;
  const note = `The key set at ${where} (kids: ${publishedKids?.join(', ') || 'unreadable'}) shares no key with the cluster's (kids: ${[...newKids].join(', ')})`;
  if (allowReplacement) return `${note}; replacing it (--allow-key-replacement).`;
  throw new KeyReplacementError(
    `${note}. Publishing would invalidate every token signed by the old keys: is this the right cluster and kubeconfig context? Nothing was written. If the replacement is intended (a re-keyed cluster), pass --allow-key-replacement.`,
  );
}

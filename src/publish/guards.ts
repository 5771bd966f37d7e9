import type { JsonWebKeySet } from '../documents/index.js';
import { ForeignIssuerError, KeyReplacementError } from '../errors.js';
import type { Issuer } from '../issuer.js';
import { isJsonObject, parseJson, stringMember } from '../json.js';

/** The published discovery document, if any, must be ours: the prefix may belong to someone else. */
export function checkPublishedIssuer(issuer: Issuer, publishedDiscovery: Uint8Array | undefined, where: string): void {
  if (publishedDiscovery === undefined) return;
  const published = parseJson(publishedDiscovery);
  const publishedIssuer = isJsonObject(published) ? stringMember(published, 'issuer') : undefined;
  if (publishedIssuer === issuer.url) return;
  const what =
    publishedIssuer === undefined ? 'is not a discovery document we can read' : `names issuer ${publishedIssuer}`;
  throw new ForeignIssuerError(
    `The discovery document already at ${where} ${what}, not ${issuer.url}; that prefix appears to belong to ` +
      'another issuer. Nothing was written. Publish to another prefix, or delete the object if it is really yours.',
  );
}

/** The `keys` of a published JWKS; undefined when it is no key set at all. */
export function publishedKeys(publishedJwks: Uint8Array): readonly unknown[] | undefined {
  const published = parseJson(publishedJwks);
  const keys = isJsonObject(published) ? published.keys : undefined;
  return Array.isArray(keys) ? keys : undefined;
}

function kidOf(key: unknown): string[] {
  const kid = isJsonObject(key) ? stringMember(key, 'kid') : undefined;
  return kid === undefined ? [] : [kid];
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
  if (publishedJwks === undefined) return undefined;
  const keys = publishedKeys(publishedJwks);
  if (keys?.length === 0) return undefined;
  const kids = keys?.flatMap(kidOf);
  const newKids = new Set(jwks.keys.map((key) => key.kid));
  if (kids?.some((kid) => newKids.has(kid))) return undefined;
  const note =
    `The key set at ${where} (kids: ${kids?.join(', ') || 'unreadable'}) shares no key with the cluster's ` +
    `(kids: ${[...newKids].join(', ')})`;
  if (allowReplacement) return `${note}; replacing it (--allow-key-replacement).`;
  throw new KeyReplacementError(
    `${note}. Publishing would invalidate every token signed by the old keys: is this the right cluster and ` +
      'kubeconfig context? Nothing was written. If the replacement is intended (a re-keyed cluster), ' +
      'pass --allow-key-replacement.',
  );
}

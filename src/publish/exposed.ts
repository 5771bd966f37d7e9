import { createPublicKey } from 'node:crypto';
import { kubernetesKeyId, privateJwkMembers, serialiseDocument } from '../documents/index.js';
import { ExposedKeyError, PublishError } from '../errors.js';
import type { Issuer } from '../issuer.js';
import { isJsonObject, parseJson, stringMember } from '../json.js';
import { publishedKeys } from './guards.js';

/**
 * What the marker object beside the documents holds: the kids once published with their private
 * half, and when that was first recorded. Sorted, so the same record is always the same bytes.
 */
export interface ExposedRecord {
  readonly kids: readonly string[];
  readonly since: string;
}

/** The kid a leaked key goes by: its own, or, without one, the one kube-apiserver derives from it. */
function kidOfLeaked(key: Readonly<Record<string, unknown>>): string | undefined {
  const kid = stringMember(key, 'kid');
  if (kid !== undefined) return kid;
  if (key.kty !== 'RSA' && key.kty !== 'EC') return undefined;
  try {
    return kubernetesKeyId(createPublicKey({ key, format: 'jwk' }));
  } catch {
    return undefined;
  }
}

/** The kids of the keys in a published JWKS that carry private members (`d`, `p`, ..., `k`). */
export function leakedKids(publishedJwks: Uint8Array | undefined): string[] {
  if (publishedJwks === undefined) return [];
  const keys = publishedKeys(publishedJwks) ?? [];
  return keys.flatMap((key) => {
    if (!isJsonObject(key) || !privateJwkMembers.some((member) => member in key)) return [];
    return kidOfLeaked(key) ?? [];
  });
}

/** The record at `where`, undefined when there is none; one we cannot read stops the run before any write. */
export function readExposedRecord(body: Uint8Array | undefined, where: string): ExposedRecord | undefined {
  if (body === undefined) return undefined;
  const parsed = parseJson(body);
  const kids = isJsonObject(parsed) ? parsed.kids : undefined;
  const since = isJsonObject(parsed) ? stringMember(parsed, 'since') : undefined;
  if (!Array.isArray(kids) || !kids.every((kid) => typeof kid === 'string') || since === undefined) {
    throw new PublishError(
      `The exposed-key record at ${where} is not {"kids": [...], "since": "..."}, so this run cannot tell which ` +
        'keys must stay unpublished. Nothing was written. Restore it from the bucket version history, or write ' +
        'the kids it held by hand.',
    );
  }
  return { kids, since };
}

export function exposedRecordBytes(record: ExposedRecord): Uint8Array {
  return serialiseDocument({ kids: [...record.kids].sort(), since: record.since });
}

/**
 * Fails the run while the cluster still lists an exposed key: the clean key set is already
 * published (the report says what was written), and the key must not be trusted again until it is
 * rotated out.
 */
export function exposedKeyError(
  issuer: Issuer,
  listed: readonly string[],
  where: { readonly jwks: string; readonly record: string },
): ExposedKeyError {
  const kids = listed.join(', ');
  const one = listed.length === 1;
  return new ExposedKeyError(
    `The signing key${one ? '' : 's'} ${kids} ${one ? 'is' : 'are'} exposed: the JWKS at ${where.jwks} was ` +
      `published with ${one ? 'its' : 'their'} private members (recorded in ${where.record}).\nAnyone who read it can mint tokens for every role that ` +
      `trusts ${issuer.url}. ${one ? 'It is' : 'They are'} left out of the published JWKS, and tokens the cluster ` +
      `signs with ${one ? 'it' : 'them'} now fail at STS: that is by design. Rotate the key now: add a new key ` +
      "to kube-apiserver's --service-account-key-file, switch --service-account-signing-key-file to it, and " +
      `remove the exposed key from the cluster; every run fails until the cluster no longer lists ${kids}. If ` +
      `the key was never really exposed, --trust-exposed-key ${listed[0] ?? 'KID'} publishes it again.`,
  );
}

import { KeyObject } from 'node:crypto';
import { exportJWK, importJWK } from 'jose';
import { EmptyKeySetError, InvalidKeyError, PrivateKeyMaterialError } from '../errors.js';
import { isJsonObject } from '../json.js';
import { kubernetesKeyId } from './kid.js';

/**
 * The key types kube-apiserver signs service-account tokens with, and the algorithm it signs (and
 * publishes) for each: RS256 for any RSA key, ES256/ES384/ES512 by EC curve. This is
 * `algorithmFromPublicKey` in kubernetes pkg/serviceaccount/openidmetadata.go; any other curve or key
 * type it refuses. STS accepts all four ("RS256, RS384, or RS512" and "ES256, ES384, or ES512", the
 * WebIdentityToken member of its API); RS384/RS512 are left out because kube-apiserver never signs
 * with them. The one home of the algorithm list: the discovery document, the build guards and
 * verify's checks all derive from it.
 */
const signingKeyTypes = [
  { alg: 'ES256', kty: 'EC', crv: 'P-256' },
  { alg: 'ES384', kty: 'EC', crv: 'P-384' },
  { alg: 'ES512', kty: 'EC', crv: 'P-521' },
  { alg: 'RS256', kty: 'RSA', crv: undefined },
] as const;

export type SigningAlgorithm = (typeof signingKeyTypes)[number]['alg'];
export type EcCurve = Exclude<(typeof signingKeyTypes)[number]['crv'], undefined>;

/** Every algorithm a published key may sign with, sorted. */
export const signingAlgorithms: readonly SigningAlgorithm[] = signingKeyTypes.map((type) => type.alg);

/**
 * STS reads at most this many RSA keys, and as many EC keys, of a JWKS (design.md "Facts"); past
 * that it cannot find a token's kid (spiffe/spire#4699 ran into it with 120 keys).
 */
export const stsKeysPerType = 100;

export interface RsaPublicJwk {
  readonly kty: 'RSA';
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: 'RS256';
  readonly n: string;
  readonly e: string;
}

export interface EcPublicJwk {
  readonly kty: 'EC';
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: 'ES256' | 'ES384' | 'ES512';
  readonly crv: EcCurve;
  readonly x: string;
  readonly y: string;
}

export type PublicJwk = RsaPublicJwk | EcPublicJwk;

export interface JsonWebKeySet {
  readonly keys: readonly PublicJwk[];
}

/** Members that make a JWK a secret: RSA/EC private parts and symmetric key bytes (RFC 7518 §6). */
export const privateJwkMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const minimumRsaBits = 2048;

/** "RSA (RS256), EC P-256 (ES256), …": the supported keys, for messages. */
export const supportedKeyTypes = signingKeyTypes
  .map((type) => `${type.kty}${type.crv === undefined ? '' : ` ${type.crv}`} (${type.alg})`)
  .join(', ');

/** The algorithm kube-apiserver signs with for a key of this `kty` (and `crv`), when it signs with one at all. */
export function algorithmForKey(kty: unknown, crv: unknown): SigningAlgorithm | undefined {
  return signingKeyTypes.find((type) => type.kty === kty && (type.crv === undefined || type.crv === crv))?.alg;
}

function quote(value: unknown): string {
  return value === undefined ? 'none' : JSON.stringify(value);
}

/**
 * Why STS or a strict OIDC client (jose, PyJWT) would not verify tokens with this JWK, as a phrase
 * that follows the key's name ("key 2 (kid X) has ..."); undefined when they would. Looks at `use`,
 * `kty`, `crv` and `alg` only: the key material is checked where it is imported.
 */
export function signingKeyProblem(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const { kty, crv, alg, use } = jwk;
  if (use !== undefined && use !== 'sig') {
    return (
      `has "use" ${quote(use)}: STS and strict clients verify tokens only with a key whose "use" is "sig" ` +
      `(or absent)`
    );
  }
  if (kty !== 'RSA' && kty !== 'EC') {
    return (
      `has key type ${quote(kty)}${crv === undefined ? '' : ` (curve ${quote(crv)})`}: STS accepts tokens ` +
      `signed with ${supportedKeyTypes} keys only`
    );
  }
  const expected = algorithmForKey(kty, crv);
  if (expected === undefined) {
    return `is an EC key on curve ${quote(crv)}: STS accepts tokens signed with ${supportedKeyTypes} keys only`;
  }
  if (alg !== undefined && alg !== expected) {
    const what = kty === 'RSA' ? 'an RSA key' : `an EC ${typeof crv === 'string' ? crv : ''} key`;
    return (
      `is ${what} with "alg" ${quote(alg)}, but kube-apiserver signs with ${what} using ${expected}, so STS and ` +
      `strict clients would refuse its tokens`
    );
  }
  return undefined;
}

function describeKey(index: number, kid: unknown): string {
  return typeof kid === 'string' && kid !== '' ? `key ${index + 1} (kid ${kid})` : `key ${index + 1}`;
}

async function publicJwk(raw: unknown, index: number): Promise<PublicJwk> {
  if (!isJsonObject(raw)) throw new InvalidKeyError(`key ${index + 1} of the key set is not a JSON object.`);
  const jwk = raw;
  const label = describeKey(index, jwk.kid);
  const secrets = privateJwkMembers.filter((member) => member in jwk);
  if (secrets.length > 0) {
    throw new PrivateKeyMaterialError(
      `${label} carries private key material (${secrets.join(', ')}). Refusing to publish it, and nothing was ` +
        `written. Check where the keys come from: only the public half of a signing key may leave the cluster. If ` +
        `this key was ever published, rotate the signing key.`,
    );
  }
  const problem = signingKeyProblem(jwk);
  const alg = algorithmForKey(jwk.kty, jwk.crv);
  if (problem !== undefined || alg === undefined) {
    throw new InvalidKeyError(`${label} ${problem ?? 'is no signing key'}. Nothing was written.`);
  }
  let key: KeyObject;
  try {
    const imported = await importJWK({ ...jwk, alg }, alg);
    if (imported instanceof Uint8Array) throw new Error('a symmetric key');
    key = KeyObject.from(imported);
  } catch (error) {
    throw new InvalidKeyError(
      `${label} is not a valid ${alg} public key: ${error instanceof Error ? error.message : String(error)}.`,
      { cause: error },
    );
  }
  if (alg === 'RS256') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < minimumRsaBits) {
      throw new InvalidKeyError(
        `${label} is a ${bits}-bit RSA key; STS and current guidance require at least ${minimumRsaBits} bits. Rotate ` +
          `to a stronger signing key.`,
      );
    }
  }
  // Preserve the cluster's kid: tokens carry exactly that value. Derive it only where none was given (PEM files).
  const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : kubernetesKeyId(key);
  const exported = await exportJWK(key);
  if (alg === 'RS256') {
    return { kty: 'RSA', kid, use: 'sig', alg, n: exported.n ?? '', e: exported.e ?? '' };
  }
  const crv = signingKeyTypes.find((type) => type.alg === alg)?.crv ?? 'P-256';
  return { kty: 'EC', kid, use: 'sig', alg, crv, x: exported.x ?? '', y: exported.y ?? '' };
}

/** STS stops at 100 keys of a type; a JWKS past that fails tokens signed by whichever keys it drops. */
function checkKeyLimits(keys: readonly PublicJwk[], source: string): void {
  for (const kty of ['RSA', 'EC'] as const) {
    const count = keys.filter((key) => key.kty === kty).length;
    if (count > stsKeysPerType) {
      throw new InvalidKeyError(
        `${source} has ${count} ${kty} keys; STS reads at most ${stsKeysPerType} RSA and ${stsKeysPerType} EC keys ` +
          `of a JWKS, so tokens signed by the others would be refused. Nothing was written. Remove retired keys ` +
          `(ones that no longer sign, whose tokens have expired) from the API server's --service-account-key-file, ` +
          `then publish again.`,
      );
    }
  }
}

/**
 * Validates every key once with jose and returns the public JWKS: public members only, sorted by
 * kid, so the same keys always give the same bytes.
 */
export async function buildJwks(
  rawKeys: readonly unknown[],
  source: string,
): Promise<{ readonly jwks: JsonWebKeySet; readonly warnings: readonly string[] }> {
  if (rawKeys.length === 0) {
    throw new EmptyKeySetError(
      `${source} has no signing keys. Publishing an empty key set would make STS reject every token; nothing was ` +
        `written. Check that the API server runs with --service-account-key-file / --service-account-signing-key-file.`,
    );
  }
  // kube-apiserver lists a key twice when it is in two --service-account-key-file files: the same
  // key is published once; two different keys under one kid are refused.
  const byKid = new Map<string, PublicJwk>();
  const repeated = new Set<string>();
  for (const [index, raw] of rawKeys.entries()) {
    const key = await publicJwk(raw, index);
    const earlier = byKid.get(key.kid);
    if (earlier === undefined) {
      byKid.set(key.kid, key);
    } else if (JSON.stringify(earlier) === JSON.stringify(key)) {
      repeated.add(key.kid);
    } else {
      throw new InvalidKeyError(
        `${source} lists two different keys under kid ${key.kid}; STS could not tell which key a token means. ` +
          'Remove one of them.',
      );
    }
  }
  const keys = [...byKid.values()];
  checkKeyLimits(keys, source);
  keys.sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
  const warnings = [...repeated].map(
    (kid) =>
      `${source} lists the key with kid ${kid} more than once (the same key in two key files?); it is published once.`,
  );
  return { jwks: { keys }, warnings };
}

/** The algorithms the keys sign with, each once, sorted: the discovery document's list. */
export function algorithmsOf(jwks: JsonWebKeySet): SigningAlgorithm[] {
  return [...new Set(jwks.keys.map((key) => key.alg))].sort();
}

import { KeyObject } from 'node:crypto';
import { exportJWK, importJWK } from 'jose';
import { EmptyKeySetError, InvalidKeyError, PrivateKeyMaterialError } from '../errors.js';
import { isJsonObject } from '../json.js';
import { kubernetesKeyId } from './kid.js';

/** The only algorithms STS is asked to trust: kube-apiserver signs with RS256 or ES256. */
export const signingAlgorithms = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

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
  readonly alg: 'ES256';
  readonly crv: 'P-256';
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

function describeKey(index: number, kid: unknown): string {
  return typeof kid === 'string' && kid !== '' ? `key ${index + 1} (kid ${kid})` : `key ${index + 1}`;
}

function algorithmFor(jwk: Record<string, unknown>, label: string): SigningAlgorithm {
  const kty = jwk.kty;
  if (kty === 'RSA') {
    if (jwk.alg !== undefined && jwk.alg !== 'RS256') {
      throw new InvalidKeyError(`${label} is an RSA key with alg ${JSON.stringify(jwk.alg)}; kube-apiserver signs with RS256 and only RS256 RSA keys are published.`);
    }
    return 'RS256';
  }
  if (kty === 'EC') {
    if (jwk.crv !== 'P-256') {
      throw new InvalidKeyError(`${label} is an EC key on curve ${JSON.stringify(jwk.crv)}; only P-256 (ES256) keys are supported.`);
    }
    if (jwk.alg !== undefined && jwk.alg !== 'ES256') {
      throw new InvalidKeyError(`${label} is an EC P-256 key with alg ${JSON.stringify(jwk.alg)}; P-256 keys sign with ES256.`);
    }
    return 'ES256';
  }
  throw new InvalidKeyError(
    `${label} has key type ${JSON.stringify(kty)}; only RSA (RS256) and EC P-256 (ES256) service-account signing keys are supported.`,
  );
}

async function publicJwk(raw: unknown, index: number): Promise<PublicJwk> {
  if (!isJsonObject(raw)) throw new InvalidKeyError(`key ${index + 1} of the key set is not a JSON object.`);
  const jwk = raw;
  const label = describeKey(index, jwk.kid);
  const secrets = privateJwkMembers.filter((member) => member in jwk);
  if (secrets.length > 0) {
    throw new PrivateKeyMaterialError(
      `${label} carries private key material (${secrets.join(', ')}). Refusing to publish it, and nothing was written. Check where the keys come from: only the public half of a signing key may leave the cluster. If this key was ever published, rotate the signing key.`,
    );
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw new InvalidKeyError(`${label} has use ${JSON.stringify(jwk.use)}; a token-signing key must have use "sig".`);
  }
  const alg = algorithmFor(jwk, label);
  let key: KeyObject;
  try {
    const imported = await importJWK({ ...jwk, alg }, alg);
    if (imported instanceof Uint8Array) throw new Error('a symmetric key');
    key = KeyObject.from(imported);
  } catch (error) {
    throw new InvalidKeyError(`${label} is not a valid ${alg} public key: ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
  }
  if (alg === 'RS256') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < minimumRsaBits) {
      throw new InvalidKeyError(`${label} is a ${bits}-bit RSA key; STS and current guidance require at least ${minimumRsaBits} bits. Rotate to a stronger signing key.`);
    }
  }
  // Preserve the cluster's kid: tokens carry exactly that value. Derive it only where none was given (PEM files).
  const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : kubernetesKeyId(key);
  const exported = await exportJWK(key);
  if (alg === 'RS256') {
    return { kty: 'RSA', kid, use: 'sig', alg, n: exported.n ?? '', e: exported.e ?? '' };
  }
  return { kty: 'EC', kid, use: 'sig', alg, crv: 'P-256', x: exported.x ?? '', y: exported.y ?? '' };
}

/**
 * Validates every key once with jose and returns the public JWKS: public members only, sorted by
 * kid, so the same keys always give the same bytes.
 */
export async function buildJwks(rawKeys: readonly unknown[], source: string): Promise<JsonWebKeySet> {
  if (rawKeys.length === 0) {
    throw new EmptyKeySetError(
      `${source} has no signing keys. Publishing an empty key set would make STS reject every token; nothing was written. Check that the API server runs with --service-account-key-file / --service-account-signing-key-file.`,
    );
  }
  const keys: PublicJwk[] = [];
  for (const [index, raw] of rawKeys.entries()) keys.push(await publicJwk(raw, index));
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key.kid)) {
      throw new InvalidKeyError(`${source} lists kid ${key.kid} more than once; STS could not tell which key a token means. Remove the duplicate key.`);
    }
    seen.add(key.kid);
  }
  keys.sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
  return { keys };
}

/** The algorithms the keys sign with, each once, sorted: the discovery document's list. */
export function algorithmsOf(jwks: JsonWebKeySet): SigningAlgorithm[] {
  return [...new Set(jwks.keys.map((key) => key.alg))].sort();
}

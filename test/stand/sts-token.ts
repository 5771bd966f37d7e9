/**
 * The web-identity token as STS reads it: compact JWS shape, header, claims, the key its `kid`
 * names in the issuer's JWKS, the signature and the validity window. Everything here is
 * `node:crypto` and hand-read JSON, deliberately not jose: the product verifies tokens with jose,
 * and a stand-in that shared its verifier would agree with it by construction.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { refusals } from './sts-errors.js';

/**
 * What STS accepts: "Tokens must be signed using either RSA keys (RS256, RS384, or RS512) or ECDSA
 * keys (ES256, ES384, or ES512)" (the WebIdentityToken member of STS's service model).
 */
const algorithms: Readonly<
  Record<string, { readonly kty: 'RSA' | 'EC'; readonly hash: string; readonly crv?: string }>
> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  ES256: { kty: 'EC', hash: 'sha256', crv: 'P-256' },
  ES384: { kty: 'EC', hash: 'sha384', crv: 'P-384' },
  ES512: { kty: 'EC', hash: 'sha512', crv: 'P-521' },
};

/** design.md "Facts": STS reads at most 100 RSA and 100 EC keys of a JWKS. */
const maxKeysPerType = 100;

export interface WebIdentityToken {
  readonly alg: string;
  readonly kid: string | undefined;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly issuer: string;
  readonly subject: string;
  /** `aud` as a list, whether the token carries a string or an array. */
  readonly audiences: readonly string[];
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

const base64url = /^[A-Za-z0-9_-]+$/;

function decodeJson(part: string): Record<string, unknown> {
  if (!base64url.test(part)) throw refusals.notAJwt();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw refusals.notAJwt();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refusals.notAJwt();
  return value as Record<string, unknown>;
}

/** Shape and the claims STS needs before it can look anything up; nothing is trusted yet. */
export function readToken(token: string): WebIdentityToken {
  const parts = token.split('.');
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  if (parts.length !== 3 || !base64url.test(signaturePart)) throw refusals.notAJwt();
  const header = decodeJson(headerPart);
  const claims = decodeJson(payloadPart);
  const { alg, kid } = header;
  if (typeof alg !== 'string' || !(alg in algorithms)) throw refusals.notValidated();
  if (kid !== undefined && typeof kid !== 'string') throw refusals.notValidated();
  const { iss, sub, aud } = claims;
  if (typeof iss !== 'string') throw refusals.missingClaim('iss');
  if (typeof sub !== 'string') throw refusals.missingClaim('sub');
  const audiences =
    typeof aud === 'string'
      ? [aud]
      : Array.isArray(aud)
        ? aud.filter((value): value is string => typeof value === 'string')
        : [];
  if (audiences.length === 0) throw refusals.missingClaim('aud');
  return {
    alg,
    kid,
    claims,
    issuer: iss,
    subject: sub,
    audiences,
    signingInput: Buffer.from(`${headerPart}.${payloadPart}`, 'ascii'),
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}

function isJwk(value: unknown): value is JsonWebKey & { kid?: unknown; use?: unknown; alg?: unknown; kty?: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The public key the token's `kid` names, usable for its `alg`. A JWKS that is no key set, or lacks
 * the kid, is STS's "Couldn't retrieve verification key"; a key that exists but cannot verify this
 * `alg` (another `use`, `alg`, key type or curve) is a token STS could not validate.
 */
export function verificationKey(jwks: unknown, token: WebIdentityToken): KeyObject {
  const keys =
    isJwk(jwks) && Array.isArray((jwks as { keys?: unknown }).keys)
      ? (jwks as { keys: unknown[] }).keys.filter(isJwk)
      : undefined;
  if (keys === undefined) throw refusals.noVerificationKey();
  const count = (kty: string) => keys.filter((key) => key.kty === kty).length;
  if (count('RSA') > maxKeysPerType || count('EC') > maxKeysPerType) throw refusals.noVerificationKey();
  const candidates = keys.filter((key) => key.kid === token.kid);
  const [key] = candidates;
  if (key === undefined) throw refusals.noVerificationKey();
  const expected = algorithms[token.alg];
  const usable =
    candidates.length === 1 &&
    expected !== undefined &&
    (key.use === undefined || key.use === 'sig') &&
    (key.alg === undefined || key.alg === token.alg) &&
    key.kty === expected.kty &&
    (expected.crv === undefined || key.crv === expected.crv);
  if (!usable) throw refusals.notValidated();
  // Only the public members: a JWKS that (wrongly) carries `d` must still yield a public key.
  const members = key.kty === 'RSA' ? ['kty', 'n', 'e'] : ['kty', 'crv', 'x', 'y'];
  const jwk: JsonWebKey = Object.fromEntries(
    members.flatMap((name) => {
      const value = (key as Record<string, unknown>)[name];
      return typeof value === 'string' ? [[name, value] as const] : [];
    }),
  );
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw refusals.notValidated();
  }
}

/** RSASSA-PKCS1-v1_5 or ECDSA with the JOSE (r || s) signature encoding, RFC 7518 §3.3 and §3.4. */
export function checkSignature(token: WebIdentityToken, key: KeyObject): void {
  const algorithm = algorithms[token.alg];
  if (algorithm === undefined) throw refusals.notValidated();
  const valid = (() => {
    try {
      return verify(
        algorithm.hash,
        token.signingInput,
        algorithm.kty === 'EC' ? { key, dsaEncoding: 'ieee-p1363' } : key,
        token.signature,
      );
    } catch {
      return false;
    }
  })();
  if (!valid) throw refusals.notValidated();
}

/**
 * `exp`, `nbf` and `iat` against STS's clock. "Timestamps in the token must be formatted as either
 * an integer or a long integer" (WebIdentityToken in STS's service model). The tolerance is IAM's:
 * "IAM provides a five minute window beyond the expiration time specified in the JWT to account
 * for clock skew" (IAM User Guide, "OIDC federation", id_roles_providers_oidc.html). AWS documents
 * no tolerance for `nbf`/`iat` in the future; the same five minutes are applied, and a token from
 * the future is a token STS could not validate.
 */
export function checkValidity(token: WebIdentityToken, nowSeconds: number, toleranceSeconds: number): void {
  const { exp, nbf, iat } = token.claims;
  if (exp === undefined) throw refusals.missingClaim('exp');
  for (const value of [exp, nbf, iat]) {
    if (value !== undefined && !Number.isSafeInteger(value)) throw refusals.notValidated();
  }
  const expiry = exp as number;
  if (nowSeconds >= expiry + toleranceSeconds) throw refusals.expired(nowSeconds, expiry);
  for (const value of [nbf, iat]) {
    if (typeof value === 'number' && value > nowSeconds + toleranceSeconds) throw refusals.notValidated();
  }
}

/**
 * The stand's service-account signing keys, and the two documents kube-apiserver renders from them,
 * byte for byte in its member order. Kubernetes marshals go-jose JSONWebKeys, whose fields come out
 * as `use, kty, kid, crv, alg, x, y, n, e`, and a discovery struct in declaration order:
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/serviceaccount/openidmetadata.go
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { SigningAlgorithm } from '../../src/documents/jwks.js';
import { kubernetesKeyId } from '../../src/documents/kid.js';

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export type SigningKeyType = 'rsa' | 'ec' | 'ec-p384' | 'ec-p521';

const generate = promisify(generateKeyPair);

/** Node's names for the curves kube-apiserver signs with, and their JOSE names. */
const curves = {
  prime256v1: { crv: 'P-256', alg: 'ES256' },
  secp384r1: { crv: 'P-384', alg: 'ES384' },
  secp521r1: { crv: 'P-521', alg: 'ES512' },
} as const;

const namedCurves: Readonly<Record<Exclude<SigningKeyType, 'rsa'>, keyof typeof curves>> = {
  ec: 'prime256v1',
  'ec-p384': 'secp384r1',
  'ec-p521': 'secp521r1',
};

/**
 * A fresh key as kubeadm would make one (RSA 2048), the EC P-256 key some distributions use, or an
 * EC P-384 / P-521 key, which kube-apiserver signs with as ES384 / ES512.
 */
export async function generateSigningKey(type: SigningKeyType = 'rsa'): Promise<SigningKey> {
  const { privateKey } =
    type === 'rsa'
      ? await generate('rsa', { modulusLength: 2048 })
      : await generate('ec', { namedCurve: namedCurves[type] });
  return signingKey(privateKey);
}

function curveOf(key: KeyObject): (typeof curves)[keyof typeof curves] | undefined {
  const name = key.asymmetricKeyDetails?.namedCurve;
  return name !== undefined && name in curves ? curves[name as keyof typeof curves] : undefined;
}

/** A signing key from a private key (a KeyObject or PEM, e.g. a cluster's sa.key). */
export function signingKey(privateKey: KeyObject | string): SigningKey {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const publicKey = createPublicKey(key);
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return { kid: kubernetesKeyId(publicKey), alg: 'RS256', privateKey: key, publicKey };
  const curve = type === 'ec' ? curveOf(key) : undefined;
  if (curve !== undefined) return { kid: kubernetesKeyId(publicKey), alg: curve.alg, privateKey: key, publicKey };
  throw new Error(
    `the stand signs with RSA or EC P-256/P-384/P-521 keys, not ${type ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`,
  );
}

/** The public JWK exactly as kube-apiserver serves it, members in its order. */
export function kubernetesJwk(key: SigningKey): Record<string, string> {
  const jwk = key.publicKey.export({ format: 'jwk' });
  if (key.alg === 'RS256') {
    return { use: 'sig', kty: 'RSA', kid: key.kid, alg: key.alg, n: jwk.n ?? '', e: jwk.e ?? '' };
  }
  return { use: 'sig', kty: 'EC', kid: key.kid, crv: jwk.crv ?? '', alg: key.alg, x: jwk.x ?? '', y: jwk.y ?? '' };
}

export function keysetJson(keys: readonly SigningKey[]): string {
  return JSON.stringify({ keys: keys.map(kubernetesJwk) });
}

export function discoveryJson(issuer: string, jwksUri: string, keys: readonly SigningKey[]): string {
  return JSON.stringify({
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(keys.map((key) => key.alg))].sort(),
  });
}

/**
 * The stand's service-account signing keys, and the two documents kube-apiserver renders from them,
 * byte for byte in its member order. Kubernetes marshals go-jose JSONWebKeys, whose fields come out
 * as `use, kty, kid, crv, alg, x, y, n, e`, and a discovery struct in declaration order:
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/serviceaccount/openidmetadata.go
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { kubernetesKeyId } from '../../src/documents/kid.js';

export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const generate = promisify(generateKeyPair);

/** A fresh key as kubeadm would make one (RSA 2048), or the EC P-256 key some distributions use. */
export async function generateSigningKey(type: 'rsa' | 'ec' = 'rsa'): Promise<SigningKey> {
  const { privateKey } =
    type === 'rsa'
      ? await generate('rsa', { modulusLength: 2048 })
      : await generate('ec', { namedCurve: 'P-256' });
  return signingKey(privateKey);
}

/** A signing key from a private key (a KeyObject or PEM, e.g. a cluster's sa.key). */
export function signingKey(privateKey: KeyObject | string): SigningKey {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const publicKey = createPublicKey(key);
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return { kid: kubernetesKeyId(publicKey), alg: 'RS256', privateKey: key, publicKey };
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { kid: kubernetesKeyId(publicKey), alg: 'ES256', privateKey: key, publicKey };
  }
  throw new Error(`the stand signs with RSA or EC P-256 keys, not ${type ?? 'unknown'}`);
}

/** The public JWK exactly as kube-apiserver serves it, members in its order. */
export function kubernetesJwk(key: SigningKey): Record<string, string> {
  const jwk = key.publicKey.export({ format: 'jwk' });
  if (key.alg === 'RS256') {
    return { use: 'sig', kty: 'RSA', kid: key.kid, alg: key.alg, n: jwk.n ?? '', e: jwk.e ?? '' };
  }
  return { use: 'sig', kty: 'EC', kid: key.kid, crv: 'P-256', alg: key.alg, x: jwk.x ?? '', y: jwk.y ?? '' };
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

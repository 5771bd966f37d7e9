import { createHash, type KeyObject } from 'node:crypto';

/**
 * The key ID kube-apiserver gives a service-account signing key: base64url (no padding) of the
 * SHA-256 of the DER SubjectPublicKeyInfo. Tokens carry this `kid`, so a published JWKS with any
 * other value is useless to STS.
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/serviceaccount/jwt.go (keyIDFromPublicKey)
 */
export function kubernetesKeyId(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64url');
}

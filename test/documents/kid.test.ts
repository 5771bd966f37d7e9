import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kubernetesKeyId } from '../../src/documents/kid.js';
import {
  kubernetesEcJwk,
  kubernetesEcKeyId,
  kubernetesRsaKeyId,
  kubernetesRsaPublicKeyPem,
} from '../fixtures/kubernetes-vectors.js';

describe('kid derivation', () => {
  it('gives an RSA key the kid kube-apiserver gives it (Kubernetes TestKeyIDStability vector)', () => {
    expect(kubernetesKeyId(createPublicKey(kubernetesRsaPublicKeyPem))).toBe(kubernetesRsaKeyId);
  });

  it('gives an EC P-256 key the kid kube-apiserver serves for it (Kubernetes openidmetadata_test vector)', () => {
    expect(kubernetesKeyId(createPublicKey({ key: kubernetesEcJwk, format: 'jwk' }))).toBe(kubernetesEcKeyId);
  });
});

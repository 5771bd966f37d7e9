import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseIssuer } from '../../src/issuer.js';
import { buildDocuments } from '../../src/documents/build.js';
import { buildJwks } from '../../src/documents/jwks.js';
import { EmptyKeySetError, InvalidKeyError, IssuerMismatchError, PrivateKeyMaterialError } from '../../src/errors.js';
import {
  kubernetesDiscoveryJson,
  kubernetesEcJwk,
  kubernetesIssuer,
  kubernetesJwksJson,
  kubernetesRsaPublicKeyPem,
} from '../fixtures/kubernetes-vectors.js';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const served = JSON.parse(kubernetesJwksJson) as { keys: Record<string, unknown>[] };

describe('building the public documents', () => {
  it('builds the same discovery document, byte for byte, that kube-apiserver serves', async () => {
    const built = await buildDocuments(
      parseIssuer(kubernetesIssuer),
      { issuer: kubernetesIssuer, keys: served.keys, source: 'test' },
      { allowIssuerMismatch: false },
    );
    expect(decode(built.discoveryBytes)).toBe(kubernetesDiscoveryJson);
  });

  it('publishes the keys kube-apiserver serves, with public members only, sorted by kid', async () => {
    const reversed = [...served.keys].reverse();
    const built = await buildDocuments(
      parseIssuer(kubernetesIssuer),
      { issuer: kubernetesIssuer, keys: reversed, source: 'test' },
      { allowIssuerMismatch: false },
    );
    expect(built.jwks.keys.map((key) => key.kid)).toEqual(served.keys.map((key) => key.kid));
    for (const [index, key] of built.jwks.keys.entries()) {
      const { use, kty, kid, alg, ...material } = served.keys[index] ?? {};
      expect(key).toEqual({ use, kty, kid, alg, ...material });
    }
  });

  it('gives the same bytes for the same keys, whatever order or extra members they arrive with', async () => {
    const issuer = parseIssuer(kubernetesIssuer);
    const first = await buildDocuments(
      issuer,
      { issuer: kubernetesIssuer, keys: served.keys, source: 'a' },
      { allowIssuerMismatch: false },
    );
    const noisy = [...served.keys].reverse().map((key) => ({ x5t: undefined, ...key, ext: true }));
    const second = await buildDocuments(
      issuer,
      { issuer: kubernetesIssuer, keys: noisy, source: 'b' },
      { allowIssuerMismatch: false },
    );
    expect(decode(second.jwksBytes)).toBe(decode(first.jwksBytes));
    expect(decode(second.discoveryBytes)).toBe(decode(first.discoveryBytes));
  });

  it('derives the kube-apiserver kid for keys that come without one', async () => {
    const { jwks } = await buildJwks(
      [createPublicKey(kubernetesRsaPublicKeyPem).export({ format: 'jwk' }), { ...kubernetesEcJwk }],
      'PEM',
    );
    expect(jwks.keys.map((key) => key.kid)).toEqual(served.keys.map((key) => key.kid));
  });

  it('refuses a key with private members, naming them', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const promise = buildJwks([privateKey.export({ format: 'jwk' })], 'test');
    await expect(promise).rejects.toBeInstanceOf(PrivateKeyMaterialError);
    await expect(promise).rejects.toThrow(/private key material \(d, p, q, dp, dq, qi\)/);
  });

  it('refuses a symmetric key as private material', async () => {
    await expect(buildJwks([{ kty: 'oct', k: 'c2VjcmV0' }], 'test')).rejects.toBeInstanceOf(PrivateKeyMaterialError);
  });

  it('refuses an empty key set', async () => {
    await expect(buildJwks([], 'API server https://10.0.0.1:6443')).rejects.toBeInstanceOf(EmptyKeySetError);
  });

  it('publishes a key listed twice (the same key in two key files) once, saying so', async () => {
    const { jwks, warnings } = await buildJwks([served.keys[0], served.keys[0]], 'test');
    expect(jwks.keys).toHaveLength(1);
    expect(warnings.join(' ')).toMatch(/lists the key with kid .* more than once .* published once/);
  });

  it('refuses two different keys under one kid', async () => {
    const [first, second] = served.keys;
    const clash = { ...(second as object), kid: (first as { kid: string }).kid };
    await expect(buildJwks([first, clash], 'test')).rejects.toThrow(/two different keys under kid/);
  });

  it.each([
    ['an unsupported key type', { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }, /key type "OKP"/],
    [
      'an EC key on a curve STS does not take',
      { ...generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' }) },
      /curve "secp256k1": STS accepts tokens signed with .*EC P-384 \(ES384\)/,
    ],
    [
      'an RSA key with another algorithm',
      { ...served.keys[0], alg: 'PS256' },
      /an RSA key with "alg" "PS256", but kube-apiserver signs with an RSA key using RS256/,
    ],
    [
      'an RSA key marked RS512, which STS takes but kube-apiserver never signs',
      { ...served.keys[0], alg: 'RS512' },
      /"alg" "RS512"/,
    ],
    [
      'an EC P-384 key marked ES256',
      { ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }), alg: 'ES256' },
      /an EC P-384 key with "alg" "ES256", but kube-apiserver signs with an EC P-384 key using ES384/,
    ],
    ['an encryption key', { ...served.keys[0], use: 'enc' }, /"use" "enc"/],
    [
      'an RSA key under 2048 bits',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }),
      /1024-bit RSA key/,
    ],
    [
      'a key that is not on its curve',
      { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' },
      /not a valid ES256 public key/,
    ],
    ['something that is not an object', 'a string', /not a JSON object/],
  ])('refuses %s', async (_, key, message) => {
    const promise = buildJwks([key], 'test');
    await expect(promise).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(promise).rejects.toThrow(message);
  });

  it('refuses a cluster whose issuer is not the public one, printing the API server flags that fix it', async () => {
    const promise = buildDocuments(
      parseIssuer('https://bucket.s3.eu-west-1.amazonaws.com/prod'),
      { issuer: 'https://kubernetes.default.svc.cluster.local', keys: served.keys, source: 'test' },
      { allowIssuerMismatch: false },
    );
    await expect(promise).rejects.toBeInstanceOf(IssuerMismatchError);
    await expect(promise).rejects.toThrow(
      '--service-account-issuer=https://bucket.s3.eu-west-1.amazonaws.com/prod\n' +
        '  --service-account-issuer=https://kubernetes.default.svc.cluster.local\n' +
        '  --service-account-jwks-uri=https://bucket.s3.eu-west-1.amazonaws.com/prod/openid/v1/jwks',
    );
  });

  it('publishes for another issuer when told to, with a warning', async () => {
    const built = await buildDocuments(
      parseIssuer('https://bucket.s3.eu-west-1.amazonaws.com/prod'),
      { issuer: 'https://kubernetes.default.svc.cluster.local', keys: served.keys, source: 'test' },
      { allowIssuerMismatch: true },
    );
    expect(built.discovery.issuer).toBe('https://bucket.s3.eu-west-1.amazonaws.com/prod');
    expect(built.warnings[0]).toMatch(/publishing anyway/);
  });
});

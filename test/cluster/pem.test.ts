import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keysFromPem, pemFileReader } from '../../src/cluster/pem.js';
import { buildJwks } from '../../src/documents/jwks.js';
import { ConfigError, InvalidKeyError, PrivateKeyMaterialError } from '../../src/errors.js';
import { kubernetesRsaKeyId, kubernetesRsaPublicKeyPem } from '../fixtures/kubernetes-vectors.js';

const temporary: string[] = [];

async function writeTemp(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-pem-'));
  temporary.push(dir);
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

afterAll(async () => {
  await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('keys from PEM files', () => {
  it('reads a PUBLIC KEY with the kid kube-apiserver derives', () => {
    expect(keysFromPem(kubernetesRsaPublicKeyPem, 'sa.pub')[0]?.kid).toBe(kubernetesRsaKeyId);
  });

  it('reads an RSA PUBLIC KEY (PKCS#1) as the same key', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = keysFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'a');
    const pkcs1 = keysFromPem(publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(), 'b');
    expect(pkcs1).toEqual(spki);
  });

  it('reads every key of a multi-key file and of several files, EC and RSA together', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const both = await writeTemp('both.pem', `${rsa}${ec}`);
    const old = await writeTemp('old.pem', kubernetesRsaPublicKeyPem);
    const metadata = await pemFileReader([both, old]).read();
    const { jwks } = await buildJwks(metadata.keys, metadata.source);
    expect(jwks.keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256', 'RS256']);
    expect(metadata.issuer).toBeUndefined();
  });

  it('reads EC P-384 and P-521 keys, as ES384 and ES512', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const metadata = await pemFileReader([await writeTemp('p384.pem', p384), await writeTemp('p521.pem', p521)]).read();
    const { jwks } = await buildJwks(metadata.keys, metadata.source);
    expect(jwks.keys.map((key) => [key.alg, key.kty === 'EC' ? key.crv : '']).sort()).toEqual([
      ['ES384', 'P-384'],
      ['ES512', 'P-521'],
    ]);
  });

  it.each([
    [
      'an EC key on a curve JOSE has a name for, but STS does not take',
      () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      /^The key in odd\.pem is an EC key on curve "secp256k1": STS accepts/,
    ],
    [
      'an EC key on a curve JOSE has no name for',
      () => generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).publicKey,
      /^The key in odd\.pem is an EC key on curve "brainpoolP256r1"/,
    ],
    [
      'an Ed25519 key',
      () => generateKeyPairSync('ed25519').publicKey,
      /^The key in odd\.pem has key type "OKP" \(curve "Ed25519"\)/,
    ],
    [
      'an RSA-PSS key',
      () => generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey,
      /^The key in odd\.pem has key type "RSA-PSS"/,
    ],
  ])('refuses %s with exit 3, naming the file', (_, key, message) => {
    const pem = key().export({ type: 'spki', format: 'pem' }).toString();
    expect(() => keysFromPem(pem, 'odd.pem')).toThrow(InvalidKeyError);
    expect(() => keysFromPem(pem, 'odd.pem')).toThrow(message);
  });

  it('refuses a private key file, telling how to take its public half', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => keysFromPem(pem, 'sa.key')).toThrow(PrivateKeyMaterialError);
    expect(() => keysFromPem(pem, 'sa.key')).toThrow(/openssl pkey -in key.pem -pubout/);
  });

  it('refuses a file with no PEM in it, and a missing file, as configuration errors', async () => {
    expect(() => keysFromPem('hello', 'notes.txt')).toThrow(ConfigError);
    await expect(pemFileReader(['/nonexistent/sa.pub']).read()).rejects.toThrow(
      /Cannot read public key file \/nonexistent\/sa.pub \(ENOENT\)/,
    );
  });

  it('refuses a corrupt PUBLIC KEY block', () => {
    expect(() => keysFromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'bad.pem')).toThrow(
      /cannot be parsed/,
    );
  });
});

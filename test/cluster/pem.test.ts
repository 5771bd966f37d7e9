import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keysFromPem, pemFileReader } from '../../src/cluster/pem.js';
import { buildJwks } from '../../src/documents/jwks.js';
import { ConfigError, PrivateKeyMaterialError } from '../../src/errors.js';
import { kubernetesRsaKeyId, kubernetesRsaPublicKeyPem } from '../fixtures/kubernetes-vectors.js';

async function writeTemp(name: string, text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'irsa-pem-')), name);
  await writeFile(path, text);
  return path;
}

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
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const both = await writeTemp('both.pem', `${rsa}${ec}`);
    const old = await writeTemp('old.pem', kubernetesRsaPublicKeyPem);
    const metadata = await pemFileReader([both, old]).read();
    const jwks = await buildJwks(metadata.keys, metadata.source);
    expect(jwks.keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256', 'RS256']);
    expect(metadata.issuer).toBeUndefined();
  });

  it('refuses a private key file, telling how to take its public half', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => keysFromPem(pem, 'sa.key')).toThrow(PrivateKeyMaterialError);
    expect(() => keysFromPem(pem, 'sa.key')).toThrow(/openssl pkey -in key.pem -pubout/);
  });

  it('refuses a file with no PEM in it, and a missing file, as configuration errors', async () => {
    expect(() => keysFromPem('hello', 'notes.txt')).toThrow(ConfigError);
    await expect(pemFileReader(['/nonexistent/sa.pub']).read()).rejects.toThrow(/Cannot read public key file \/nonexistent\/sa.pub \(ENOENT\)/);
  });

  it('refuses a corrupt PUBLIC KEY block', () => {
    expect(() => keysFromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'bad.pem')).toThrow(/cannot be parsed/);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwksPath, startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { generateSigningKey, kubernetesJwk } from '../stand/apiserver-keys.js';
import {
  kubernetesDiscoveryJson,
  kubernetesIssuer,
  kubernetesJwksJson,
  kubernetesRsaPublicKeyPem,
  kubernetesEcJwk,
} from '../fixtures/kubernetes-vectors.js';
import { cli } from './cli.js';

const issuer = 'https://oidc.example.com/clusters/prod';
let stand: ApiServerStand;

beforeAll(async () => {
  stand = await startApiServer({ issuer });
});

const temporary: string[] = [];

afterAll(async () => {
  await stand.stop();
  await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-render-'));
  temporary.push(dir);
  return dir;
}

describe('irsa-issuer render', () => {
  it('prints the documents a sync would publish, reading from the API server', async () => {
    const result = await cli([
      'render',
      '--issuer',
      issuer,
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'reader',
    ]);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as {
      discovery: { issuer: string; jwks_uri: string };
      jwks: { keys: { kid: string }[] };
    };
    expect(printed.discovery.issuer).toBe(issuer);
    expect(printed.discovery.jwks_uri).toBe(`${issuer}/openid/v1/jwks`);
    expect(printed.jwks.keys.map((key) => key.kid).sort()).toEqual(stand.keys.map((key) => key.kid).sort());
  });

  it('renders from PEM files before any cluster exists, byte-identical to what kube-apiserver serves', async () => {
    const dir = await tempDir();
    const rsa = join(dir, 'sa-rsa.pub');
    const ec = join(dir, 'sa-ec.pub');
    await writeFile(rsa, kubernetesRsaPublicKeyPem);
    const { createPublicKey } = await import('node:crypto');
    await writeFile(
      ec,
      createPublicKey({ key: { ...kubernetesEcJwk }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }),
    );
    const out = join(dir, 'public');
    const result = await cli([
      'render',
      '--issuer',
      kubernetesIssuer,
      '--public-key-file',
      rsa,
      '--public-key-file',
      ec,
      '--out',
      out,
    ]);
    expect(result.code).toBe(0);
    expect(await readFile(join(out, '.well-known/openid-configuration'), 'utf8')).toBe(kubernetesDiscoveryJson);
    const jwks = JSON.parse(await readFile(join(out, 'openid/v1/jwks'), 'utf8')) as unknown;
    expect(jwks).toEqual(JSON.parse(kubernetesJwksJson));
  });

  it('rewrites nothing when the files are already right', async () => {
    const out = join(await tempDir(), 'public');
    const args = [
      'render',
      '--issuer',
      issuer,
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'reader',
      '--out',
      out,
    ];
    expect((await cli(args)).code).toBe(0);
    const before = (await stat(join(out, 'openid/v1/jwks'))).mtimeMs;
    const again = await cli(args);
    expect(again.stdout).toMatch(/^unchanged/);
    expect((await stat(join(out, 'openid/v1/jwks'))).mtimeMs).toBe(before);
  });

  it("refuses with exit 3 and changes nothing when --out holds another issuer's documents", async () => {
    const out = join(await tempDir(), 'public');
    const other = 'https://oidc.other-team.example/clusters/theirs';
    const theirs = [
      'render',
      '--issuer',
      other,
      '--allow-issuer-mismatch',
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'reader',
    ];
    const printed = JSON.parse((await cli(theirs)).stdout) as { discovery: unknown; jwks: unknown };
    await mkdir(join(out, '.well-known'), { recursive: true });
    await mkdir(join(out, 'openid/v1'), { recursive: true });
    await writeFile(join(out, '.well-known/openid-configuration'), JSON.stringify(printed.discovery));
    await writeFile(join(out, 'openid/v1/jwks'), JSON.stringify(printed.jwks));
    const before = await Promise.all(
      ['.well-known/openid-configuration', 'openid/v1/jwks'].map((path) => readFile(join(out, path))),
    );

    const result = await cli([
      'render',
      '--issuer',
      issuer,
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'reader',
      '--out',
      out,
    ]);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`names issuer ${other}.*belong to another issuer`));
    const after = await Promise.all(
      ['.well-known/openid-configuration', 'openid/v1/jwks'].map((path) => readFile(join(out, path))),
    );
    expect(after).toEqual(before);
  });

  it('renders EC P-384 and P-521 keys from PEM files, as ES384 and ES512', async () => {
    const dir = await tempDir();
    const files = await Promise.all(
      ['ec-p384', 'ec-p521'].map(async (type) => {
        const key = await generateSigningKey(type as 'ec-p384' | 'ec-p521');
        const file = join(dir, `${type}.pub`);
        await writeFile(file, key.publicKey.export({ type: 'spki', format: 'pem' }));
        return file;
      }),
    );
    const result = await cli(['render', '--issuer', issuer, ...files.flatMap((file) => ['--public-key-file', file])]);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as {
      discovery: { id_token_signing_alg_values_supported: string[] };
      jwks: { keys: { crv: string; alg: string }[] };
    };
    expect(printed.discovery.id_token_signing_alg_values_supported).toEqual(['ES384', 'ES512']);
    expect(printed.jwks.keys.map((key) => `${key.crv} ${key.alg}`).sort()).toEqual(['P-384 ES384', 'P-521 ES512']);
  });

  it('refuses a key on a curve STS does not take with exit 3, naming the file, and writes nothing', async () => {
    const dir = await tempDir();
    const key = join(dir, 'k1.pub');
    await writeFile(
      key,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const result = await cli(['render', '--issuer', issuer, '--public-key-file', key, '--out', join(dir, 'public')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `The key in ${key} is an EC key on curve "secp256k1": STS accepts tokens signed with`,
    );
    await expect(stat(join(dir, 'public'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses an API server serving more RSA keys than STS reads with exit 3, and writes nothing', async () => {
    const dir = await tempDir();
    const rsa = kubernetesJwk(await generateSigningKey('rsa'));
    stand.override(jwksPath, {
      body: { keys: Array.from({ length: 101 }, (_, index) => ({ ...rsa, kid: `k${String(index)}` })) },
    });
    try {
      const result = await cli([
        'render',
        '--issuer',
        issuer,
        '--kubeconfig',
        stand.kubeconfigPath,
        '--context',
        'reader',
        '--out',
        join(dir, 'public'),
      ]);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/has 101 RSA keys; STS reads at most 100 RSA and 100 EC keys of a JWKS/);
      await expect(stat(join(dir, 'public'))).rejects.toThrow(/ENOENT/);
    } finally {
      stand.reset();
    }
  });

  it('refuses a private key file with exit 3 and writes nothing', async () => {
    const dir = await tempDir();
    const key = join(dir, 'sa.key');
    await writeFile(
      key,
      generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    );
    const result = await cli(['render', '--issuer', issuer, '--public-key-file', key, '--out', join(dir, 'public')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/PRIVATE KEY/);
    await expect(stat(join(dir, 'public'))).rejects.toThrow(/ENOENT/);
  });

  it('names the missing ClusterRoleBinding when the token may not read the discovery endpoints', async () => {
    const result = await cli([
      'render',
      '--issuer',
      issuer,
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'unprivileged',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/system:service-account-issuer-discovery/);
    expect(result.stderr).not.toContain(stand.tokens.unprivileged?.token ?? 'never');
  });
});

describe('text for a terminal', () => {
  it('shows a key ID full of escape sequences as visible characters, never as terminal commands', async () => {
    const key = stand.keys[0];
    if (key === undefined) throw new Error('the stand has a key');
    const hostile = { ...kubernetesJwk(key), kid: 'evil\u001b[2J\u001b[1;1HSync OK\r' };
    stand.override('/openid/v1/jwks', { body: { keys: [hostile] } });
    try {
      const out = join(await tempDir(), 'public');
      const args = ['sync', '--issuer', issuer, '--target', `file://${out}`, '--no-register'];
      const result = await cli([...args, '--kubeconfig', stand.kubeconfigPath, '--context', 'reader']);
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain('\u001b');
      expect(result.stdout).not.toContain('\r');
      expect(result.stdout).toContain('evil\\x1b[2J\\x1b[1;1HSync OK\\x0d');
    } finally {
      stand.reset();
    }
  });
});

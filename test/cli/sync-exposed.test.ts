import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exposedKidsPath, jwksPath } from '../../src/issuer.js';
import { generateSigningKey, kubernetesJwk, type SigningKey } from '../stand/apiserver-keys.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { anyCredentials, createBucket, motoS3Client, testRegion } from '../stand/s3.js';
import { cli } from './cli.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const issuer = `https://${bucket}.s3.${testRegion}.amazonaws.com/${prefix}`;
const target = `s3://${bucket}/${prefix}`;

let moto: MotoServer;
let stand: ApiServerStand;
let client: S3Client;
let rsa: SigningKey;
let ec: SigningKey;

beforeAll(async () => {
  moto = await startMoto();
  stand = await startApiServer({ issuer });
  [rsa, ec] = stand.keys as [SigningKey, SigningKey];
  process.env.AWS_ACCESS_KEY_ID = anyCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = anyCredentials.secretAccessKey;
});

afterAll(async () => {
  await stand.stop();
  await moto.stop();
});

/** A key set as a careless hand would publish it: the RSA key with its private half. */
function leakedKeySet(leaked: SigningKey, others: readonly SigningKey[]): string {
  const secret = leaked.privateKey.export({ format: 'jwk' });
  return JSON.stringify({ keys: [{ ...secret, ...kubernetesJwk(leaked) }, ...others.map(kubernetesJwk)] });
}

const syncArgs = (...extra: string[]) => [
  'sync',
  '--issuer',
  issuer,
  '--s3-endpoint',
  moto.endpoint,
  '--kubeconfig',
  stand.kubeconfigPath,
  '--context',
  'reader',
  '--no-register',
  ...extra,
];

async function object(key: string): Promise<{ etag: string; body: string } | undefined> {
  try {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}` }));
    return { etag: got.ETag ?? '', body: (await got.Body?.transformToString()) ?? '' };
  } catch {
    return undefined;
  }
}

async function publishedKeys(): Promise<Record<string, unknown>[]> {
  const jwks = await object(jwksPath);
  return (JSON.parse(jwks?.body ?? '{"keys":[]}') as { keys: Record<string, unknown>[] }).keys;
}

describe('sync when the published JWKS holds a private key', () => {
  beforeEach(async () => {
    await resetMoto(moto);
    stand.reset();
    client = motoS3Client(moto);
    await createBucket(client, bucket);
    expect((await cli(syncArgs())).code).toBe(0);
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${jwksPath}`, Body: leakedKeySet(rsa, [ec]) }),
    );
  });

  it('publishes the key set without the exposed kid, records it, and fails every run until it is rotated out', async () => {
    const first = await cli(syncArgs());
    expect(first.code).toBe(3);
    expect(first.stderr).toContain(rsa.kid);
    expect(first.stderr).toMatch(/Rotate the key now/);
    expect(first.stderr).toMatch(/--service-account-signing-key-file/);
    expect(first.stderr).toMatch(/fail at STS/);
    expect(first.stdout).toContain(`update-content ${target}/${jwksPath}`);
    expect(first.stdout).toContain(`create ${target}/${exposedKidsPath}`);
    expect(first.stdout).toMatch(/Failed at publish, after the changes above were made/);
    const keys = await publishedKeys();
    expect(keys.map((key) => key.kid)).toEqual([ec.kid]);
    expect(keys.some((key) => 'd' in key)).toBe(false);
    const record = JSON.parse((await object(exposedKidsPath))?.body ?? '{}') as { kids: string[]; since: string };
    expect(record.kids).toEqual([rsa.kid]);
    expect(new Date(record.since).toISOString()).toBe(record.since);

    const before = [await object(jwksPath), await object(exposedKidsPath)];
    const second = await cli(syncArgs('--output', 'json'));
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(rsa.kid);
    expect(JSON.parse(second.stdout)).toMatchObject({ changed: false, failure: { code: 'ERR_EXPOSED_KEY' } });
    expect([await object(jwksPath), await object(exposedKidsPath)]).toEqual(before);

    // The cluster rotated the exposed key out: runs succeed again, and the kid stays unpublished.
    stand.setKeys([ec]);
    const rotated = await cli(syncArgs());
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain(`kid ${rsa.kid} was exposed`);
    expect(rotated.stdout).toContain('stays unpublished');
    expect((await publishedKeys()).map((key) => key.kid)).toEqual([ec.kid]);
  });

  it('--trust-exposed-key publishes the kid again, takes it off the record and exits 0', async () => {
    expect((await cli(syncArgs())).code).toBe(3);
    const trusted = await cli(syncArgs('--trust-exposed-key', rsa.kid));
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    const keys = await publishedKeys();
    expect(keys.map((key) => key.kid).sort()).toEqual([rsa.kid, ec.kid].sort());
    expect(keys.some((key) => 'd' in key)).toBe(false);
    expect(JSON.parse((await object(exposedKidsPath))?.body ?? '{}')).toMatchObject({ kids: [] });
    expect((await cli(syncArgs())).code).toBe(0);
  });

  it('takes the trusted kid from IRSA_ISSUER_TRUST_EXPOSED_KEY too, on the very first run', async () => {
    const trusted = await cli(syncArgs(), { IRSA_ISSUER_TRUST_EXPOSED_KEY: rsa.kid });
    expect(trusted.code).toBe(0);
    expect((await publishedKeys()).map((key) => key.kid).sort()).toEqual([rsa.kid, ec.kid].sort());
    expect((await publishedKeys()).some((key) => 'd' in key)).toBe(false);
    expect(await object(exposedKidsPath)).toBeUndefined();
  });

  it('--dry-run plans the clean set and the record, exits 3, and writes nothing', async () => {
    const before = await object(jwksPath);
    const planned = await cli(syncArgs('--dry-run'));
    expect(planned.code).toBe(3);
    expect(planned.stderr).toContain(rsa.kid);
    expect(planned.stdout).toContain(`update-content ${target}/${jwksPath}`);
    expect(planned.stdout).toContain(`create ${target}/${exposedKidsPath}`);
    expect(planned.stdout).toMatch(/Dry run stopped at publish; nothing was written/);
    expect(await object(jwksPath)).toEqual(before);
    expect(await object(exposedKidsPath)).toBeUndefined();
  });
});

describe('render --out into a directory whose JWKS holds a private key', () => {
  const temporary: string[] = [];
  afterAll(async () => {
    stand.reset();
    await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('writes the key set without it (empty when it was the only key), records it, and exits 3', async () => {
    const only = await generateSigningKey('rsa');
    stand.setKeys([only]);
    const out = await mkdtemp(join(tmpdir(), 'irsa-exposed-'));
    temporary.push(out);
    const render = (...extra: string[]) =>
      cli([
        'render',
        '--issuer',
        issuer,
        '--kubeconfig',
        stand.kubeconfigPath,
        '--context',
        'reader',
        '--out',
        out,
        ...extra,
      ]);
    expect((await render()).code).toBe(0);
    await mkdir(join(out, 'openid/v1'), { recursive: true });
    await writeFile(join(out, jwksPath), leakedKeySet(only, []));

    const refused = await render();
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(only.kid);
    expect(refused.stderr).toMatch(/Rotate the key now/);
    expect(JSON.parse(await readFile(join(out, jwksPath), 'utf8'))).toEqual({ keys: [] });
    expect(JSON.parse(await readFile(join(out, exposedKidsPath), 'utf8'))).toMatchObject({ kids: [only.kid] });

    const trusted = await render('--trust-exposed-key', only.kid);
    expect(trusted.code).toBe(0);
    const keys = (JSON.parse(await readFile(join(out, jwksPath), 'utf8')) as { keys: { kid: string }[] }).keys;
    expect(keys.map((key) => key.kid)).toEqual([only.kid]);
  });
});

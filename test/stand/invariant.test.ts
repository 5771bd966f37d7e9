/**
 * The invariant checker against states that are right and states STS would trip over: directories
 * written by hand, and a public bucket on moto read anonymously, as STS reads it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { discoveryJson, generateSigningKey, keysetJson, kubernetesJwk, type SigningKey } from './apiserver-keys.js';
import { discoveryPath, jwksPath } from './apiserver.js';
import { anonymousHttpSource, checkPublished, directorySource } from './invariant.js';
import { startMoto, type MotoServer } from './moto.js';

const bucket = 'invariant-stand';
const credentials = { accessKeyId: 'AKIAINVARIANTSTAND01', secretAccessKey: 'invariant-stand-secret' };
const cleanups: (() => Promise<unknown>)[] = [];
let moto: MotoServer;

beforeAll(async () => {
  moto = await startMoto();
});

afterAll(async () => {
  await moto.stop();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the invariant checker', () => {
  const issuer = 'https://oidc.example.com/clusters/prod';
  let keys: SigningKey[];
  let directory: string;

  beforeAll(async () => {
    keys = [await generateSigningKey('rsa'), await generateSigningKey('ec')];
  });

  async function publish(documents: { discovery?: string; jwks?: string }): Promise<void> {
    const fresh = await mkdtemp(join(tmpdir(), 'irsa-invariant-'));
    cleanups.push(() => rm(fresh, { recursive: true, force: true }));
    directory = fresh;
    await mkdir(join(directory, '.well-known'), { recursive: true });
    await mkdir(join(directory, 'openid/v1'), { recursive: true });
    if (documents.discovery !== undefined) await writeFile(join(directory, discoveryPath), documents.discovery);
    if (documents.jwks !== undefined) await writeFile(join(directory, jwksPath), documents.jwks);
  }

  const check = () => checkPublished(directorySource(directory), { issuer, keys });
  const goodDiscovery = () => discoveryJson(issuer, `${issuer}${jwksPath}`, keys);

  it('holds for both documents as kube-apiserver renders them, and for nothing published yet', async () => {
    await publish({ discovery: goodDiscovery(), jwks: keysetJson(keys) });
    expect(await check()).toEqual({ published: true, violations: [] });
    await publish({});
    expect(await check()).toEqual({ published: false, violations: [] });
    await publish({ jwks: keysetJson(keys) });
    expect(await check()).toEqual({ published: false, violations: [] });
  });

  it.each([
    [
      'a discovery document naming a JWKS that is not there',
      () => ({ discovery: goodDiscovery() }),
      /not published: STS cannot fetch the keys/,
    ],
    [
      'another issuer',
      () => ({
        discovery: discoveryJson('https://other.example.com', `${issuer}${jwksPath}`, keys),
        jwks: keysetJson(keys),
      }),
      /names issuer "https:\/\/other\.example\.com"/,
    ],
    [
      'a jwks_uri outside the issuer',
      () => ({
        discovery: discoveryJson(issuer, `https://elsewhere.example.com${jwksPath}`, keys),
        jwks: keysetJson(keys),
      }),
      /names jwks_uri "https:\/\/elsewhere/,
    ],
    ['a key missing', () => ({ discovery: goodDiscovery(), jwks: keysetJson(keys.slice(1)) }), /lacks the cluster key/],
    [
      'a non-JSON discovery document',
      () => ({ discovery: '<html>', jwks: keysetJson(keys) }),
      /discovery document .* is not JSON/,
    ],
    [
      'a truncated JWKS',
      () => ({ discovery: goodDiscovery(), jwks: keysetJson(keys).slice(0, 100) }),
      /JWKS .* is not JSON/,
    ],
  ])('flags %s', async (_, documents, violation) => {
    await publish(documents());
    const state = await check();
    expect(state.violations.join('\n')).toMatch(violation);
  });

  it('flags a kid published with other key material, and private members even without a discovery document', async () => {
    const impostor = await generateSigningKey('rsa');
    const [first, second] = keys.map(kubernetesJwk);
    const swapped = { ...kubernetesJwk(impostor), kid: first?.kid ?? '' };
    await publish({ discovery: goodDiscovery(), jwks: JSON.stringify({ keys: [swapped, second] }) });
    expect((await check()).violations).toEqual([expect.stringMatching(/lists kid .* with other key material/)]);

    const leaked = { ...keys[0]?.privateKey.export({ format: 'jwk' }), kid: first?.kid };
    await publish({ jwks: JSON.stringify({ keys: [leaked] }) });
    expect((await check()).violations).toEqual([expect.stringMatching(/carries private members: d, p, q, dp, dq, qi/)]);
  });

  it('reads a public bucket anonymously, as STS does', async () => {
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials,
      maxAttempts: 1,
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
          ],
        }),
      }),
    );
    const source = anonymousHttpSource(`${moto.endpoint}/${bucket}/public`);
    expect(await checkPublished(source, { issuer, keys })).toEqual({ published: false, violations: [] });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `public${jwksPath}`, Body: keysetJson(keys) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `public${discoveryPath}`, Body: goodDiscovery() }));
    expect(await checkPublished(source, { issuer, keys })).toEqual({ published: true, violations: [] });
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `public${jwksPath}`, Body: keysetJson(keys.slice(0, 1)) }),
    );
    expect((await checkPublished(source, { issuer, keys })).violations).toEqual([
      expect.stringMatching(/lacks the cluster key/),
    ]);
    s3.destroy();
  });
});

import type { S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiServerReader } from '../../src/cluster/api-server.js';
import { discoveryPath, jwksPath } from '../../src/issuer.js';
import { S3Store } from '../../src/publish/s3.js';
import { sync, type SyncRequest } from '../../src/sync.js';
import { generateSigningKey } from '../stand/apiserver-keys.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import {
  allowPublicRead,
  anonymousGet,
  createBucket,
  motoS3Client,
  recordRequests,
  type RecordedRequest,
} from '../stand/s3.js';
import { syncOptions } from '../stand/sync-options.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const issuerUrl = `https://${bucket}.s3.eu-west-1.amazonaws.com/${prefix}`;
const silent = pino({ level: 'silent' });

let moto: MotoServer;
let stand: ApiServerStand;
let client: S3Client;
let requests: RecordedRequest[];

const run = (overrides: Partial<SyncRequest> = {}) =>
  sync(syncOptions(issuerUrl, overrides), {
    cluster: apiServerReader({ kubeconfig: stand.kubeconfigPath, context: 'reader' }),
    store: new S3Store(client, bucket, prefix),
    logger: silent,
  });

const puts = () => requests.filter((request) => request.command === 'PutObjectCommand').map((request) => request.key);

beforeAll(async () => {
  moto = await startMoto();
  stand = await startApiServer({ issuer: issuerUrl, keys: [await generateSigningKey('rsa')] });
});

afterAll(async () => {
  await stand.stop();
  await moto.stop();
});

beforeEach(async () => {
  await resetMoto(moto);
  stand.reset();
  client = motoS3Client(moto);
  requests = recordRequests(client);
  await createBucket(client, bucket);
  await allowPublicRead(client, bucket, prefix);
});

describe('sync to S3', () => {
  it('publishes both documents so that a stranger can GET them anonymously', async () => {
    const report = await run();
    expect(report.changed).toBe(true);
    const discovery = await anonymousGet(moto, bucket, `${prefix}/${discoveryPath}`);
    const jwks = await anonymousGet(moto, bucket, `${prefix}/${jwksPath}`);
    expect(discovery.status).toBe(200);
    expect(discovery.contentType).toBe('application/json');
    expect(discovery.cacheControl).toBe('max-age=300');
    expect(JSON.parse(new TextDecoder().decode(discovery.body))).toEqual({
      issuer: issuerUrl,
      jwks_uri: `${issuerUrl}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    expect(jwks.contentType).toBe('application/json');
    const keys = (JSON.parse(new TextDecoder().decode(jwks.body)) as { keys: { kid: string; d?: string }[] }).keys;
    expect(keys.map((key) => key.kid)).toEqual(stand.keys.map((key) => key.kid));
    expect(keys.every((key) => key.d === undefined)).toBe(true);
  });

  it('a second sync makes no PutObject call at all', async () => {
    await run();
    requests.length = 0;
    const report = await run();
    expect(puts()).toEqual([]);
    expect(report.changed).toBe(false);
    expect(report.steps.find((step) => step.stage === 'publish')?.status).toBe('unchanged');
  });

  it('publishes a rotated-in key, writing the JWKS before the discovery document', async () => {
    await run();
    requests.length = 0;
    const added = await stand.addKey(await generateSigningKey('ec'));
    const report = await run();
    expect(puts()).toEqual([`${prefix}/${jwksPath}`, `${prefix}/${discoveryPath}`]);
    const jwks = await anonymousGet(moto, bucket, `${prefix}/${jwksPath}`);
    expect(new TextDecoder().decode(jwks.body)).toContain(added.kid);
    expect(report.steps.find((step) => step.stage === 'publish')?.changes).toHaveLength(2);
  });

  it('a dry run reports the plan and writes nothing', async () => {
    const report = await run({ dryRun: true });
    expect(report.steps.find((step) => step.stage === 'publish')?.status).toBe('planned');
    expect(puts()).toEqual([]);
    expect((await anonymousGet(moto, bucket, `${prefix}/${jwksPath}`)).status).toBe(404);
  });
});

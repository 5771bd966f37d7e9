/**
 * The daemon against AWS as the Deployment meets it, played by moto: the documents go to an S3
 * bucket through --s3-endpoint and the IAM OIDC provider is created, on the first run only; the
 * runs after it find everything right and write nothing.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ListOpenIDConnectProvidersCommand, type IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoIamClient } from '../stand/iam.js';
import { startMoto, type MotoServer } from '../stand/moto.js';
import { anyCredentials, createBucket, motoS3Client, testRegion } from '../stand/s3.js';
import { everySecond, issuer, startTestCluster, type TestCluster } from './cluster.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';
import { scrape } from './scrape.js';

const bucket = 'irsa-daemon-issuer';
let cluster: TestCluster;
let moto: MotoServer;
let s3: S3Client;
let iam: IAMClient;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  [cluster, moto] = await Promise.all([startTestCluster(), startMoto()]);
  s3 = motoS3Client(moto);
  iam = await motoIamClient(moto);
  await createBucket(s3, bucket);
});

afterAll(async () => {
  await daemon?.kill();
  s3.destroy();
  iam.destroy();
  await Promise.all([cluster.stop(), moto.stop()]);
});

describe('irsa-issuer daemon with an S3 target and IAM', () => {
  it('publishes to the bucket and creates the provider once, then writes nothing run after run', async () => {
    daemon = await startDaemonProcess(
      [
        '--schedule',
        everySecond,
        '--issuer',
        issuer,
        '--target',
        `s3://${bucket}/clusters/prod`,
        '--s3-endpoint',
        moto.endpoint,
        '--region',
        testRegion,
        '--thumbprint',
        'a'.repeat(40),
        '--kubeconfig',
        cluster.kubeconfig,
        '--output',
        'json',
      ],
      {
        AWS_ACCESS_KEY_ID: anyCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: anyCredentials.secretAccessKey,
        AWS_ENDPOINT_URL_IAM: moto.endpoint,
      },
    );
    const runs = await daemon.waitForRuns(3);

    expect(runs.map((run) => run.result)).toEqual(['success', 'success', 'success']);
    expect(runs[0]?.steps).toMatchObject({ publish: 'changed', thumbprint: 'unchanged', register: 'changed' });
    expect(runs.slice(1).map((run) => run.steps)).toEqual(
      [1, 2].map(() => ({
        read: 'unchanged',
        build: 'unchanged',
        publish: 'unchanged',
        thumbprint: 'unchanged',
        register: 'unchanged',
      })),
    );
    const jwks = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'clusters/prod/openid/v1/jwks' }));
    const keys = (JSON.parse((await jwks.Body?.transformToString()) ?? '{}') as { keys: { kid: string }[] }).keys;
    expect(keys.map((key) => key.kid).sort()).toEqual(cluster.stand.keys.map((key) => key.kid).sort());
    const providers = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    expect(providers.OpenIDConnectProviderList?.map((provider) => provider.Arn)).toEqual([
      'arn:aws:iam::123456789012:oidc-provider/oidc.example.com/clusters/prod',
    ]);

    const metrics = await scrape(daemon);
    expect(metrics.value('irsa_issuer_changes_total', { stage: 'publish' })).toBe(2);
    expect(metrics.value('irsa_issuer_changes_total', { stage: 'register' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('irsa_issuer_published_keys')).toBe(2);
    await daemon.poll('/readyz', (answer) => answer.status === 200, '200');
  });
});

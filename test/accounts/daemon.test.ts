/**
 * The daemon keeping three accounts (moto: see test/stand/accounts.ts), one of which denies
 * iam:CreateOpenIDConnectProvider under moto's permission checks: its metrics count the failure
 * against that account, and /readyz names it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountRole, createHomeUser } from '../stand/accounts.js';
import { setMotoAuthentication, startMoto, type MotoServer } from '../stand/moto.js';
import { createBucket, motoS3Client, testRegion } from '../stand/s3.js';
import { everySecond, issuer, startTestCluster, type TestCluster } from '../daemon/cluster.js';
import { startDaemonProcess, type DaemonProcess } from '../daemon/daemon-process.js';
import { scrape } from '../daemon/scrape.js';

const bucket = 'irsa-daemon-accounts';
const teamA = '222222222222';
const data = '333333333333';
let cluster: TestCluster;
let moto: MotoServer;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  [cluster, moto] = await Promise.all([startTestCluster(), startMoto()]);
  await createBucket(motoS3Client(moto), bucket);
});

afterAll(async () => {
  await daemon?.kill();
  await setMotoAuthentication(moto, false);
  await Promise.all([cluster.stop(), moto.stop()]);
});

describe('irsa-issuer daemon --account-role', () => {
  it('counts a register failure against the account it happened in, and /readyz names that account', async () => {
    const teamARole = await createAccountRole(moto, teamA, 'irsa-issuer-registrar-prod', [
      { Effect: 'Allow', Action: 'iam:*', Resource: '*' },
    ]);
    const dataRole = await createAccountRole(moto, data, 'irsa-issuer-registrar-prod', [
      { Effect: 'Allow', Action: 'iam:*', Resource: '*' },
      { Effect: 'Deny', Action: 'iam:CreateOpenIDConnectProvider', Resource: '*' },
    ]);
    const base = await createHomeUser(moto, 'publisher', [
      { Effect: 'Allow', Action: ['s3:*', 'iam:*', 'sts:AssumeRole'], Resource: '*' },
    ]);
    await setMotoAuthentication(moto, true);
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
        AWS_ACCESS_KEY_ID: base.accessKeyId,
        AWS_SECRET_ACCESS_KEY: base.secretAccessKey,
        AWS_ENDPOINT_URL_IAM: moto.endpoint,
        AWS_ENDPOINT_URL_STS: moto.endpoint,
        IRSA_ISSUER_ACCOUNT_ROLE: `${teamARole},${dataRole}`,
      },
    );
    const runs = await daemon.waitForRuns(2);
    expect(runs.map((run) => run.result)).toEqual(['failure', 'failure']);
    expect(runs[0]?.steps).toMatchObject({ register: 'failed' });
    expect((runs[1] as unknown as { accounts: Record<string, string> }).accounts).toEqual({
      home: 'unchanged',
      [teamA]: 'unchanged',
      [data]: 'failed',
    });

    const metrics = await scrape(daemon);
    expect(metrics.value('irsa_issuer_failures_total', { stage: 'register', account: data })).toBeGreaterThanOrEqual(2);
    expect(() => metrics.value('irsa_issuer_failures_total', { stage: 'register', account: teamA })).toThrow(
      /no irsa_issuer_failures_total sample/,
    );
    const ready = await daemon.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toContain(`last run failed at register: The register stage failed in 1 of 3 accounts (${data})`);
  });
});

/**
 * The whole sync against the stand-ins: the API server stand-in, moto for S3 and IAM, and a local
 * TLS host in front of the bucket (as CloudFront would be) whose chain the thumbprint is taken from;
 * then a workload's token exchanged at the STS stand-in, which checks it against what sync published.
 */
import { CreateRoleCommand, GetOpenIDConnectProviderCommand, type IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiServerReader } from '../../src/cluster/api-server.js';
import { parseIssuer } from '../../src/issuer.js';
import { S3Store } from '../../src/publish/s3.js';
import { sync, type Registration, type SyncRequest } from '../../src/sync.js';
import { thumbprintFromUrl } from '../../src/thumbprint/probe.js';
import { generateSigningKey } from '../stand/apiserver-keys.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { dummyCredentials, motoIamClient, recordCommands, writeCommands } from '../stand/iam.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { allowPublicRead, createBucket, motoS3Client, recordRequests, type RecordedRequest } from '../stand/s3.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';
import { startSts, type StsStand } from '../stand/sts.js';
import { syncOptions } from '../stand/sync-options.js';
import { requestToken } from '../stand/web-identity.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const silent = pino({ level: 'silent' });

let moto: MotoServer;
let chain: CertificateChain;
let front: TlsHost;
let stand: ApiServerStand;
let issuerUrl: string;
let s3: S3Client;
let s3Requests: RecordedRequest[];
let iam: IAMClient;
let iamCommands: string[];
let sts: StsStand;

const registration = (): Registration => ({
  pinnedThumbprints: [],
  tags: { cluster: 'prod' },
  pruneAudiences: false,
  pruneThumbprints: false,
  provider: iam,
  probe: (url) => thumbprintFromUrl(url),
});

const run = (overrides: Partial<SyncRequest> = {}) =>
  sync(syncOptions(issuerUrl, { register: registration(), ...overrides }), {
    cluster: apiServerReader({ kubeconfig: stand.kubeconfigPath, context: 'reader' }),
    store: new S3Store(s3, bucket, prefix),
    logger: silent,
  });

async function provider() {
  const arn = `arn:aws:iam::123456789012:oidc-provider/${parseIssuer(issuerUrl).providerName}`;
  return iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
}

beforeAll(async () => {
  moto = await startMoto();
  chain = await createCertificateChain();
  front = await startTlsHost({
    origin: `${moto.endpoint}/${bucket}`,
    certificate: chain.leaf,
    presentedChain: [chain.intermediate.certPem],
  });
  issuerUrl = `${front.url}/${prefix}`;
  stand = await startApiServer({ issuer: issuerUrl });
  sts = await startSts({ iamEndpoint: moto.endpoint, ca: chain.root.certPem });
});

afterAll(async () => {
  await sts.stop();
  await stand.stop();
  await front.stop();
  await moto.stop();
});

beforeEach(async () => {
  await resetMoto(moto);
  s3 = motoS3Client(moto);
  s3Requests = recordRequests(s3);
  iam = await motoIamClient(moto);
  iamCommands = recordCommands(iam);
  await createBucket(s3, bucket);
  await allowPublicRead(s3, bucket, prefix);
});

describe('sync with registration', () => {
  it("takes an empty account and bucket to a provider trusting the issuer, with the presented chain's thumbprint", async () => {
    const report = await run();
    const registered = await provider();
    expect(registered.ThumbprintList).toEqual([chain.intermediate.sha1]);
    expect(registered.ClientIDList).toEqual(['sts.amazonaws.com']);
    expect(registered.Tags).toEqual([{ Key: 'cluster', Value: 'prod' }]);
    expect(report.steps.map((step) => `${step.stage}:${step.status}`)).toEqual([
      'read:unchanged',
      'build:unchanged',
      'publish:changed',
      'thumbprint:unchanged',
      'register:changed',
    ]);
    expect(report.warnings.join('\n')).toMatch(/not trusted by this machine's CA store/);
  });

  it('a second sync makes no write call anywhere', async () => {
    await run();
    s3Requests.length = 0;
    iamCommands.length = 0;
    const report = await run();
    expect(report.changed).toBe(false);
    expect(s3Requests.filter((request) => request.command !== 'GetObjectCommand')).toEqual([]);
    expect(writeCommands(iamCommands)).toEqual([]);
  });

  it('a dry run plans the provider and creates nothing', async () => {
    const report = await run({ dryRun: true });
    const registerStep = report.steps.find((step) => step.stage === 'register');
    expect(registerStep?.status).toBe('planned');
    expect(registerStep?.changes.join('\n')).toMatch(/create/i);
    expect(writeCommands(iamCommands)).toEqual([]);
    await expect(provider()).rejects.toThrow();
  });

  it('updates the provider when the thumbprint changes, and says so', async () => {
    await run();
    const pinned = 'a'.repeat(40);
    const report = await run({ register: { ...registration(), pinnedThumbprints: [pinned] } });
    expect((await provider()).ThumbprintList).toEqual([pinned, chain.intermediate.sha1]);
    const register = report.steps.find((step) => step.stage === 'register');
    expect(register?.changes.join('\n')).toContain(pinned);
    expect(register?.notes.join('\n')).toContain(`kept thumbprint ${chain.intermediate.sha1}`);
  });

  it('drops thumbprints it was not asked for only with --prune-thumbprints', async () => {
    await run();
    const pinned = 'a'.repeat(40);
    await run({ register: { ...registration(), pinnedThumbprints: [pinned], pruneThumbprints: true } });
    expect((await provider()).ThumbprintList).toEqual([pinned]);
  });

  it('keeps an audience someone else added, reporting it, unless told to prune', async () => {
    await run({ audiences: ['sts.amazonaws.com', 'extra'] });
    const report = await run();
    expect(report.steps.find((step) => step.stage === 'register')?.notes.join('\n')).toMatch(/kept audience extra/);
  });
});

describe('sync --verify', () => {
  it('one sync takes an empty account and bucket to a registered provider and a passing verify', async () => {
    const report = await run({ verify: { ca: chain.root.certPem } });
    expect(report.verification?.checks.map((check) => `${check.id}:${check.status}`)).toEqual([
      'discovery:passed',
      'issuer:passed',
      'jwks:passed',
      'metadata:passed',
      'limits:passed',
      'signing:passed',
      'keys:passed',
      'provider:passed',
      'thumbprint:passed',
      'audience:passed',
      'token:skipped',
      'sts:skipped',
    ]);
    expect(report.steps.at(-1)).toMatchObject({ stage: 'verify', status: 'unchanged' });
  });

  it('reports a failed check as a failed verify step, after everything was written', async () => {
    // Not told to trust the host's private CA, the anonymous fetch fails, as it would for a stranger.
    const report = await run({ verify: {} });
    expect(report.steps.at(-1)).toMatchObject({ stage: 'verify', status: 'failed' });
    expect(report.verification?.checks.find((check) => check.id === 'discovery')?.status).toBe('failed');
    expect((await provider()).ThumbprintList).toEqual([chain.intermediate.sha1]);
  });
});

describe('a workload federates through what sync published', () => {
  const roleArn = 'arn:aws:iam::123456789012:role/team-a-app';
  let client: STSClient;

  beforeAll(() => {
    client = new STSClient({
      region: 'us-east-1',
      endpoint: sts.endpoint,
      credentials: dummyCredentials,
      maxAttempts: 1,
    });
  });

  afterAll(() => {
    client.destroy();
  });

  beforeEach(async () => {
    sts.reset();
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'team-a-app',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: {
                Federated: `arn:aws:iam::123456789012:oidc-provider/${parseIssuer(issuerUrl).providerName}`,
              },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: { [`${parseIssuer(issuerUrl).providerName}:sub`]: 'system:serviceaccount:team-a:app' },
              },
            },
          ],
        }),
      }),
    );
  });

  const exchange = (token: string) =>
    client.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'workload', WebIdentityToken: token }),
    );

  it("after one sync, STS exchanges a service account's token for its role", async () => {
    await run();
    const answer = await exchange(await requestToken(stand, { namespace: 'team-a', name: 'app' }));
    expect(answer.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/team-a-app/workload');
    expect(answer.Provider).toBe(`arn:aws:iam::123456789012:oidc-provider/${parseIssuer(issuerUrl).providerName}`);
  });

  it('a key the cluster starts signing with is refused by STS until the next sync publishes it', async () => {
    await run();
    try {
      stand.setKeys([await generateSigningKey('ec'), ...stand.keys]);
      const token = await requestToken(stand, { namespace: 'team-a', name: 'app' });
      await expect(exchange(token)).rejects.toMatchObject({
        name: 'InvalidIdentityTokenException',
        message:
          "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
      });
      await run();
      expect((await exchange(token)).SubjectFromWebIdentityToken).toBe('system:serviceaccount:team-a:app');
    } finally {
      stand.reset();
    }
  });
});

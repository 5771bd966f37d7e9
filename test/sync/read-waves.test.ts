/**
 * A sync with nothing to change is a couple of waves of reads, not a queue of them: everything it
 * reads needs only the flags, so it asks for all of it at once. Counted where a user's network
 * would see it: at proxies in front of the API-server stand-in and moto (S3 and IAM), which hold
 * every request at a gate until the test opens it. If the client still read one thing after
 * another, the second request would never arrive while the first is held.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiServerReader } from '../../src/cluster/api-server.js';
import { createIamClient } from '../../src/iam/client.js';
import { createS3Client, S3Store } from '../../src/publish/s3.js';
import { sync, type Registration } from '../../src/sync.js';
import { thumbprintFromUrl } from '../../src/thumbprint/probe.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { kubernetesStatus } from '../stand/fault-responses.js';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { dummyCredentials } from '../stand/iam.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../stand/faults.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { allowPublicRead, anyCredentials, createBucket, motoS3Client, testRegion } from '../stand/s3.js';
import { syncOptions } from '../stand/sync-options.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const silent = pino({ level: 'silent' });

let moto: MotoServer;
let chain: CertificateChain;
let front: TlsHost;
let stand: ApiServerStand;
let aws: FaultProxy;
let api: FaultProxy;
let kubeconfig: string;
let issuerUrl: string;

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
  aws = await startFaultProxy({ upstream: moto.endpoint });
  api = await startFaultProxy({
    upstream: stand.url,
    upstreamCa: stand.caPem,
    tls: {
      certPem: stand.chain.leaf.certPem,
      keyPem: stand.chain.leaf.keyPem,
      chain: [stand.chain.intermediate.certPem],
    },
  });
  const token = stand.tokens.reader?.token ?? '';
  kubeconfig = await stand.writeKubeconfig([{ name: 'proxied', server: api.url, caPem: stand.caPem, token }]);
}, 60_000);

afterAll(async () => {
  await Promise.all([aws.stop(), api.stop()]);
  await stand.stop();
  await front.stop();
  await moto.stop();
});

beforeEach(async () => {
  aws.reset();
  api.reset();
  await resetMoto(moto);
  const admin = motoS3Client(moto);
  await createBucket(admin, bucket);
  await allowPublicRead(admin, bucket, prefix);
  admin.destroy();
});

/** The CLI's own clients, pointed at the proxies as --s3-endpoint and AWS_ENDPOINT_URL_IAM would. */
async function run(tags: Record<string, string> = {}) {
  const iam = await createIamClient({
    endpoint: aws.url,
    region: 'us-east-1',
    credentials: dummyCredentials,
    maxAttempts: 1,
  });
  const s3 = createS3Client({ region: testRegion, endpoint: aws.url, credentials: anyCredentials });
  const register: Registration = {
    pinnedThumbprints: [],
    tags,
    pruneAudiences: false,
    pruneThumbprints: false,
    provider: iam,
    probe: (url) => thumbprintFromUrl(url),
  };
  return sync(syncOptions(issuerUrl, { register }), {
    cluster: apiServerReader({ kubeconfig, context: 'proxied' }),
    store: new S3Store(s3, bucket, prefix),
    logger: silent,
  }).finally(() => {
    iam.destroy();
    s3.destroy();
  });
}

/** `GET openid/v1/jwks`, `IAM ListOpenIDConnectProviders`: what each request was, in arrival order. */
function kinds(requests: readonly ProxiedRequest[]): string[] {
  return requests.map((request) =>
    request.awsAction === undefined
      ? `${request.method} ${request.path.replace(`/${bucket}/${prefix}/`, '')}`
      : `IAM ${request.awsAction}`,
  );
}

const everything = /./;

describe('a no-op sync reads in waves', () => {
  it('asks the API server, S3 and IAM for everything that needs no earlier answer before any answer comes', async () => {
    await run({ cluster: 'prod' });
    aws.reset();
    api.reset();
    for (const proxy of [aws, api])
      proxy.inject({ name: 'wave 1', path: everything, action: { kind: 'hold', gate: 'wave 1' } });

    const second = run({ cluster: 'prod' });
    // Nothing has been answered yet, and all of these are already waiting: both API-server GETs,
    // the three S3 reads (the exposed-kids record, the JWKS, the discovery document), IAM's list.
    await Promise.all([api.waitForHit('wave 1', 2), aws.waitForHit('wave 1', 4)]);
    expect(kinds(api.requests).sort()).toEqual(['GET /.well-known/openid-configuration', 'GET /openid/v1/jwks']);
    expect(kinds(aws.requests).sort()).toEqual([
      'GET .well-known/openid-configuration',
      'GET openid/v1/exposed-kids',
      'GET openid/v1/jwks',
      'IAM ListOpenIDConnectProviders',
    ]);
    api.release('wave 1');
    aws.release('wave 1');

    const report = await second;
    expect(report.changed).toBe(false);
    // The second wave: the provider and its tags, both named by the list's ARN, side by side.
    expect(kinds(aws.requests).slice(4).sort()).toEqual([
      'IAM GetOpenIDConnectProvider',
      'IAM ListOpenIDConnectProviderTags',
    ]);
  });

  it('without --tag, never asks IAM for the tags, and writes nothing', async () => {
    await run();
    aws.reset();
    api.reset();
    const report = await run();
    expect(report.changed).toBe(false);
    expect(report.steps.map((step) => `${step.stage}:${step.status}`)).toEqual([
      'read:unchanged',
      'build:unchanged',
      'publish:unchanged',
      'thumbprint:unchanged',
      'register:unchanged',
    ]);
    expect(kinds(aws.requests).sort()).toEqual([
      'GET .well-known/openid-configuration',
      'GET openid/v1/exposed-kids',
      'GET openid/v1/jwks',
      'IAM GetOpenIDConnectProvider',
      'IAM ListOpenIDConnectProviders',
    ]);
    expect(kinds(api.requests).sort()).toEqual(['GET /.well-known/openid-configuration', 'GET /openid/v1/jwks']);
  });

  it('a first sync still writes the JWKS before the discovery document, and only after reading both', async () => {
    await run({ cluster: 'prod' });
    const order = kinds(aws.requests);
    const firstWrite = order.findIndex((kind) => kind.startsWith('PUT'));
    expect(order.slice(0, firstWrite).sort()).toEqual([
      'GET .well-known/openid-configuration',
      'GET openid/v1/exposed-kids',
      'GET openid/v1/jwks',
      'IAM ListOpenIDConnectProviders',
    ]);
    expect(order.slice(firstWrite)).toEqual([
      'PUT openid/v1/jwks',
      'PUT .well-known/openid-configuration',
      'IAM CreateOpenIDConnectProvider',
    ]);
  });

  it('a cluster read that fails stops the run at the read stage: the reads begun beside it write nothing', async () => {
    api.inject({
      name: 'failing',
      path: /jwks$/,
      action: { kind: 'respond', response: kubernetesStatus(500, 'InternalError', 'etcd is down') },
    });
    await expect(run()).rejects.toMatchObject({ report: { failure: { stage: 'read' } } });
    expect(kinds(aws.requests).filter((kind) => !kind.startsWith('GET ') && !kind.startsWith('IAM List'))).toEqual([]);
  });
});

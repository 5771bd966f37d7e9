/**
 * A whole `sync`, run as the bundle the way a CronJob runs it, from behind a real forward proxy
 * (tinyproxy): S3 and IAM (moto behind an HTTPS front on its own CA, trusted with --ca-file) and the
 * kube-apiserver stand-in are all reached through it, and the proxy's log is the proof.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runBundle } from '../faults/bundle.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { startBlackhole, type Blackhole } from '../stand/blackhole.js';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { startFaultProxy, type FaultProxy } from '../stand/faults.js';
import { freePort, resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { startProxy, type ProxyStand } from '../stand/proxy.js';

const bucket = 'acme-oidc';
const region = 'eu-west-1';
const issuer = `https://${bucket}.s3.${region}.amazonaws.com/clusters/prod`;
/** Pinned: the issuer's amazonaws.com host cannot be probed from here. */
const thumbprint = '9e99a48a9960b14926bb7f3b02e22da2b0ab7280';
const credentials = { user: 'egress', password: 'pr0xy-Secret-77' };

describe('sync from behind an HTTPS proxy', () => {
  let chain: CertificateChain;
  let moto: MotoServer;
  let front: FaultProxy;
  let stand: ApiServerStand;
  let proxy: ProxyStand;
  let authProxy: ProxyStand;
  let blackhole: Blackhole;
  let env: NodeJS.ProcessEnv;
  let awsHost: string;
  let apiHost: string;

  const args = (...extra: string[]): string[] => [
    'sync',
    '--issuer',
    issuer,
    '--s3-endpoint',
    front.url,
    '--kubeconfig',
    stand.kubeconfigPath,
    '--context',
    'reader',
    '--thumbprint',
    thumbprint,
    '--ca-file',
    chain.root.certPath,
    '--output',
    'json',
    '--timeout',
    '10',
    ...extra,
  ];

  beforeAll(async () => {
    chain = await createCertificateChain(['localhost', '127.0.0.1']);
    [moto, stand, proxy, authProxy, blackhole] = await Promise.all([
      startMoto(),
      startApiServer({ issuer }),
      startProxy(),
      startProxy({ credentials }),
      startBlackhole(),
    ]);
    front = await startFaultProxy({
      upstream: moto.endpoint,
      tls: { certPem: chain.leaf.certPem, keyPem: chain.leaf.keyPem, chain: [chain.intermediate.certPem] },
    });
    awsHost = new URL(front.url).host;
    apiHost = new URL(stand.url).host;
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'AKIAEGRESSSUITE00001',
      AWS_SECRET_ACCESS_KEY: 'egress-suite-secret',
      AWS_ENDPOINT_URL_IAM: front.url,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });

  beforeEach(async () => {
    await resetMoto(moto);
    const s3 = new S3Client({
      region,
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAEGRESSSUITE00001', secretAccessKey: 'egress-suite-secret' },
    });
    await s3.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }),
    );
    s3.destroy();
  });

  afterAll(async () => {
    await front.stop();
    await Promise.all([moto.stop(), stand.stop(), proxy.stop(), authProxy.stop(), blackhole.stop()]);
    await rm(chain.directory, { recursive: true, force: true });
  });

  it('publishes and registers with every connection going through HTTPS_PROXY', async () => {
    const before = (await proxy.requests()).length;
    const result = await runBundle(args(), { ...env, HTTPS_PROXY: proxy.url });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { changed: boolean };
    expect(report.changed).toBe(true);
    const tunnels = (await proxy.requests()).slice(before);
    expect(tunnels).toContain(awsHost);
    expect(tunnels).toContain(apiHost);
  });

  it('reaches the hosts NO_PROXY lists directly, and only the others through the proxy', async () => {
    const before = (await proxy.requests()).length;
    const result = await runBundle(args(), { ...env, HTTPS_PROXY: proxy.url, NO_PROXY: `localhost,${apiHost}` });
    expect(result.code).toBe(0);
    const tunnels = (await proxy.requests()).slice(before);
    expect(tunnels).toContain(awsHost);
    expect(tunnels).not.toContain(apiHost);
  });

  it('--proxy wins over HTTPS_PROXY', async () => {
    const before = (await proxy.requests()).length;
    const result = await runBundle(args('--proxy', proxy.url), { ...env, HTTPS_PROXY: blackhole.url });
    expect(result.code).toBe(0);
    expect((await proxy.requests()).slice(before)).toContain(awsHost);
  });

  it('sends plain http:// requests (an S3-compatible store over HTTP) to HTTP_PROXY in absolute form', async () => {
    const before = (await proxy.requests()).length;
    const plain = args().map((arg) => (arg === front.url ? moto.endpoint : arg));
    const result = await runBundle(plain, {
      ...env,
      AWS_ENDPOINT_URL_IAM: moto.endpoint,
      HTTP_PROXY: proxy.url,
      NO_PROXY: apiHost,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const requests = (await proxy.requests()).slice(before);
    expect(requests.some((request) => request.startsWith(`${moto.endpoint}/${bucket}/`))).toBe(true);
    expect(requests.some((request) => request.startsWith(`${moto.endpoint}/`) && !request.includes(bucket))).toBe(true);
  });

  it('says the proxy wants credentials on a 407, and never prints the ones it was given', async () => {
    const wrong = `http://${credentials.user}:not-the-${credentials.password}@${new URL(authProxy.url).host}`;
    for (const proxyUrl of [authProxy.url, wrong]) {
      const result = await runBundle(args(), { ...env, HTTPS_PROXY: proxyUrl });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`the proxy ${authProxy.url} \\(HTTPS_PROXY\\) answered 40[17]`));
      expect(result.stderr).toMatch(/USER:PASSWORD/);
      expect(`${result.stdout}${result.stderr}`).not.toContain(credentials.password);
    }
  });

  it('works through a proxy that wants credentials when the URL carries them, and prints them nowhere', async () => {
    const result = await runBundle(args('--log-level', 'debug'), {
      ...env,
      IRSA_ISSUER_PROXY: authProxy.urlWithCredentials,
    });
    expect(result.code).toBe(0);
    const printed = `${result.stdout}${result.stderr}`;
    expect(printed).not.toContain(credentials.password);
    expect(printed).not.toContain(Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64'));
    expect(await authProxy.requests()).toContain(awsHost);
  });

  it('names the proxy when it is down', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const result = await runBundle(args(), { ...env, HTTPS_PROXY: down });
    expect(result.hung).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`could not connect to the proxy ${down} (HTTPS_PROXY): ECONNREFUSED`);
  });

  it('ends at the deadline, naming the proxy, when the proxy never answers CONNECT', async () => {
    const result = await runBundle(args(), { ...env, HTTPS_PROXY: blackhole.url }, 30_000);
    expect(result.hung).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the proxy ${blackhole.url} (HTTPS_PROXY) did not answer CONNECT ${apiHost}`);
  });
});

/**
 * The fault stand itself, each part checked with a real client: the AWS SDK against moto through the
 * proxy, kubectl against the API-server stand-in through it, fetch with a deadline against silence,
 * and a separate Node process reading an endless body.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { IAMClient, ListOpenIDConnectProvidersCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesJwk } from './apiserver-keys.js';
import { discoveryPath, jwksPath, startApiServer, type ApiServerStand } from './apiserver.js';
import { startBlackhole } from './blackhole.js';
import { awsQueryError, kubernetesStatus, s3Error } from './fault-responses.js';
import { startFaultProxy, type FaultProxy } from './faults.js';
import { startMoto, type MotoServer } from './moto.js';

const run = promisify(execFile);
const bucket = 'fault-stand';
const credentials = { accessKeyId: 'AKIAFAULTSTANDTEST01', secretAccessKey: 'fault-stand-secret' };

let moto: MotoServer;
let proxy: FaultProxy;
const cleanups: (() => Promise<unknown>)[] = [];

/** The SDK's own clients, one attempt unless a test asks for the retries. */
const s3Through = (endpoint: string, maxAttempts = 1) =>
  new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials, maxAttempts });
const iamThrough = (endpoint: string) => new IAMClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const failed = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: failed.name, status: failed.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

/** A plain GET through Node's http client, every chunk as it arrives, until the end, an error or `signal`. */
function chunksOf(url: string, signal: AbortSignal): Promise<{ status: number; chunks: Buffer[]; complete: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status = 0;
    const outgoing = httpRequest(url, { agent: false, signal }, (response) => {
      status = response.statusCode ?? 0;
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        resolve({ status, chunks, complete: true });
      });
      response.once('error', () => {
        resolve({ status, chunks, complete: false });
      });
    });
    outgoing.once('error', () => {
      resolve({ status, chunks, complete: false });
    });
    outgoing.end();
  });
}

beforeAll(async () => {
  moto = await startMoto();
  const s3 = s3Through(moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'doc.json',
      Body: '{"hello":"through the proxy, byte by byte"}',
      ContentType: 'application/json',
    }),
  );
  // Anyone may read, as on an issuer's bucket: the plain fetches below are unsigned.
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }],
      }),
    }),
  );
  s3.destroy();
});

afterAll(async () => {
  await moto.stop();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function proxyToMoto(): Promise<FaultProxy> {
  proxy = await startFaultProxy({ upstream: moto.endpoint });
  cleanups.push(() => proxy.stop());
  return proxy;
}

describe('the fault proxy in front of moto', () => {
  it('passes requests through untouched and records them', async () => {
    await proxyToMoto();
    const s3 = s3Through(proxy.url);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'doc.json' }));
    expect(await object.Body?.transformToString()).toBe('{"hello":"through the proxy, byte by byte"}');
    const [record, ...more] = proxy.requests;
    const { receivedAt, answeredAt, ...request } = record ?? { receivedAt: 0 };
    expect([request, more]).toEqual([
      { method: 'GET', path: `/${bucket}/doc.json`, query: 'x-id=GetObject', status: 200, upstreamStatus: 200 },
      [],
    ]);
    expect(answeredAt).toBeGreaterThanOrEqual(receivedAt ?? Infinity);
    s3.destroy();
  });

  it('answers an S3 error the SDK reads by its code: SlowDown on the first GET only, so the retry succeeds', async () => {
    await proxyToMoto();
    proxy.inject({
      name: 'slow-down',
      method: 'GET',
      path: /\/doc\.json$/,
      nth: 1,
      action: { kind: 'respond', response: s3Error(503, 'SlowDown') },
    });
    const once = s3Through(proxy.url);
    expect(await errorOf(once.send(new GetObjectCommand({ Bucket: bucket, Key: 'doc.json' })))).toEqual({
      name: 'SlowDown',
      status: 503,
    });
    once.destroy();

    proxy.reset();
    proxy.inject({
      name: 'slow-down',
      method: 'GET',
      path: /\/doc\.json$/,
      nth: 1,
      action: { kind: 'respond', response: s3Error(503, 'SlowDown') },
    });
    const retrying = s3Through(proxy.url, 3);
    const object = await retrying.send(new GetObjectCommand({ Bucket: bucket, Key: 'doc.json' }));
    expect(object.$metadata.attempts).toBe(2);
    expect(proxy.hits('slow-down')).toBe(1);
    expect(proxy.requests.map((request) => [request.fault, request.status])).toEqual([
      ['slow-down', 503],
      [undefined, 200],
    ]);
    retrying.destroy();
  });

  it.each([
    [412, 'PreconditionFailed'],
    [409, 'ConditionalRequestConflict'],
    [500, 'InternalError'],
  ])('answers a PUT with %i %s, and the object is not written', async (status, code) => {
    await proxyToMoto();
    proxy.inject({
      name: 'refuse',
      method: 'PUT',
      query: /x-id=PutObject/,
      action: { kind: 'respond', response: s3Error(status, code) },
    });
    const s3 = s3Through(proxy.url);
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `refused-${code}`, Body: 'x' })))).toEqual(
      { name: code, status },
    );
    const direct = s3Through(moto.endpoint);
    expect((await errorOf(direct.send(new GetObjectCommand({ Bucket: bucket, Key: `refused-${code}` })))).name).toBe(
      'NoSuchKey',
    );
    s3.destroy();
    direct.destroy();
  });

  it('answers IAM Throttling on one query Action only; the SDK names it, other actions pass', async () => {
    await proxyToMoto();
    proxy.inject({
      name: 'throttle',
      awsAction: 'ListOpenIDConnectProviders',
      action: { kind: 'respond', response: awsQueryError(400, 'Throttling') },
    });
    const iam = iamThrough(proxy.url);
    expect(await errorOf(iam.send(new ListOpenIDConnectProvidersCommand({})))).toEqual({
      name: 'Throttling',
      status: 400,
    });
    await iam.send(new ListRolesCommand({}));
    expect(proxy.requests.map((request) => `${request.awsAction ?? '?'} ${String(request.status)}`)).toEqual([
      'ListOpenIDConnectProviders 400',
      'ListRoles 200',
    ]);
    expect(proxy.hits('throttle')).toBe(1);
    iam.destroy();
  });

  it('matches the form body by regex too', async () => {
    await proxyToMoto();
    proxy.inject({
      name: 'denied',
      method: 'POST',
      body: /Action=ListRoles(&|$)/,
      action: { kind: 'respond', response: awsQueryError(403, 'AccessDenied') },
    });
    const iam = iamThrough(proxy.url);
    expect((await errorOf(iam.send(new ListRolesCommand({})))).name).toBe('AccessDenied');
    iam.destroy();
  });

  it('blackholes a request: a fetch with a short deadline times out, and the upstream never sees it', async () => {
    await proxyToMoto();
    proxy.inject({ name: 'silence', path: /doc\.json$/, action: { kind: 'blackhole' } });
    const error = await fetch(`${proxy.url}/${bucket}/doc.json`, { signal: AbortSignal.timeout(1000) }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as Error).name).toBe('TimeoutError');
    await proxy.waitForHit('silence');
    // Never answered: it has no answeredAt.
    expect(proxy.requests.map(({ receivedAt, ...request }) => [typeof receivedAt, request])).toEqual([
      ['number', { method: 'GET', path: `/${bucket}/doc.json`, query: '', fault: 'silence', status: 0 }],
    ]);
  });

  it('delays, then forwards; a client that gave up meanwhile is dropped before the upstream sees it', async () => {
    await proxyToMoto();
    proxy.inject({ name: 'slow', path: /doc\.json$/, nth: 1, action: { kind: 'delay', ms: 60_000 } });
    proxy.inject({ name: 'brief', path: /doc\.json$/, action: { kind: 'delay', ms: 50 } });
    const abandoned = fetch(`${proxy.url}/${bucket}/doc.json`).then(
      () => 'answered',
      () => 'cut off',
    );
    await proxy.waitForHit('slow');
    const answered = await fetch(`${proxy.url}/${bucket}/doc.json`);
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ hello: 'through the proxy, byte by byte' });
    await proxy.stop();
    expect(await abandoned).toBe('cut off');
    expect(proxy.requests.map((request) => [request.fault, request.upstreamStatus])).toEqual([
      ['slow', undefined],
      ['brief', 200],
    ]);
  });

  it('holds requests at a gate until the test opens it: two clients lined up at the same step', async () => {
    await proxyToMoto();
    proxy.inject({ name: 'line-up', path: /doc\.json$/, action: { kind: 'hold', gate: 'reads' } });
    const first = fetch(`${proxy.url}/${bucket}/doc.json`);
    const second = fetch(`${proxy.url}/${bucket}/doc.json`);
    await proxy.waitForHit('line-up', 2);
    expect(proxy.requests.map((request) => request.upstreamStatus)).toEqual([undefined, undefined]);
    proxy.release('reads');
    expect((await Promise.all([first, second])).map((response) => response.status)).toEqual([200, 200]);
    const later = await fetch(`${proxy.url}/${bucket}/doc.json`);
    expect(later.status).toBe(200);
    expect(proxy.hits('line-up')).toBe(3);
  });

  it('drips the upstream answer one byte at a time, the bytes unchanged', async () => {
    await proxyToMoto();
    proxy.inject({ name: 'drip', path: /doc\.json$/, action: { kind: 'drip', intervalMs: 10 } });
    const { status, chunks, complete } = await chunksOf(`${proxy.url}/${bucket}/doc.json`, AbortSignal.timeout(20_000));
    expect([status, complete]).toEqual([200, true]);
    expect(Buffer.concat(chunks).toString()).toBe('{"hello":"through the proxy, byte by byte"}');
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('at its default pace of a byte a second, a 43-byte answer is far from done after 2.5 s', async () => {
    await proxyToMoto();
    proxy.inject({ name: 'drip', path: /doc\.json$/, action: { kind: 'drip' } });
    const { status, chunks, complete } = await chunksOf(`${proxy.url}/${bucket}/doc.json`, AbortSignal.timeout(2500));
    expect([status, complete]).toEqual([200, false]);
    const received = Buffer.concat(chunks).length;
    expect(received).toBeGreaterThanOrEqual(1);
    expect(received).toBeLessThan(10);
  });

  it('closes the socket halfway through the body', async () => {
    await proxyToMoto();
    proxy.inject({ name: 'cut', path: /doc\.json$/, action: { kind: 'close' } });
    const { status, chunks, complete } = await chunksOf(`${proxy.url}/${bucket}/doc.json`, AbortSignal.timeout(10_000));
    expect([status, complete]).toEqual([200, false]);
    const whole = '{"hello":"through the proxy, byte by byte"}';
    expect(Buffer.concat(chunks).toString()).toBe(whole.slice(0, Math.floor(whole.length / 2)));
  });

  it('closes a PUT without a byte after the upstream wrote it: the client fails, the object is there', async () => {
    await proxyToMoto();
    proxy.inject({ name: 'cut', method: 'PUT', action: { kind: 'close' } });
    const s3 = s3Through(proxy.url);
    await expect(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'landed.json', Body: '{"landed":true}' })),
    ).rejects.toThrow();
    const direct = s3Through(moto.endpoint);
    const object = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: 'landed.json' }));
    expect(await object.Body?.transformToString()).toBe('{"landed":true}');
    expect(proxy.requests).toMatchObject([{ method: 'PUT', fault: 'cut', status: 0, upstreamStatus: 200 }]);
    s3.destroy();
    direct.destroy();
  });

  it('echoes the request headers, Authorization included, in a 200 text body', async () => {
    await proxyToMoto();
    proxy.inject({ name: 'echo', action: { kind: 'echo-headers' } });
    const response = await fetch(`${proxy.url}/anything`, { headers: { authorization: 'Bearer echo-me-0123456789' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^authorization: Bearer echo-me-0123456789$/m);
  });

  it('streams an oversized body around the upstream answer: still valid JSON, only huge', async () => {
    await proxyToMoto();
    proxy.inject({
      name: 'huge',
      path: /doc\.json$/,
      action: { kind: 'oversized', bytes: 3 * 1024 * 1024, aroundUpstream: true },
    });
    const response = await fetch(`${proxy.url}/${bucket}/doc.json`);
    expect(response.headers.get('content-length')).toBeNull();
    const text = await response.text();
    expect(text.length).toBe(3 * 1024 * 1024);
    expect(JSON.parse(text)).toEqual({ hello: 'through the proxy, byte by byte' });
  });

  it('streams 256 MiB to a reader in another process without its own memory growing', async () => {
    await proxyToMoto();
    const bytes = 256 * 1024 * 1024;
    proxy.inject({ name: 'huge', action: { kind: 'oversized', bytes, declareLength: true } });
    const before = process.memoryUsage().rss;
    // The reader counts and drops: a separate process, so only the proxy's memory is measured here.
    const reader = `const r = await fetch(process.argv[1]); let n = 0; for await (const c of r.body) n += c.length; console.log(n);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', reader, `${proxy.url}/big`], {
      timeout: 60_000,
    });
    expect(Number(stdout.trim())).toBe(bytes);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('stops cleanly: held requests end, the port is closed', async () => {
    await proxyToMoto();
    proxy.inject({ name: 'silence', action: { kind: 'blackhole' } });
    const held = fetch(`${proxy.url}/${bucket}/doc.json`).then(
      () => 'answered',
      () => 'cut off',
    );
    await proxy.waitForHit('silence');
    await proxy.stop();
    expect(await held).toBe('cut off');
    await expect(fetch(`${proxy.url}/${bucket}/doc.json`)).rejects.toThrow();
  });
});

describe('the fault proxy in front of the API-server stand-in, over TLS', () => {
  let stand: ApiServerStand;
  let kubeconfig: string;

  beforeAll(async () => {
    stand = await startApiServer();
  });

  afterAll(async () => {
    await stand.stop();
    await rm(stand.chain.directory, { recursive: true, force: true });
  });

  async function proxyToStand(): Promise<void> {
    // The stand's own chain: its kubeconfig CA trusts the proxy, only the server URL changes.
    proxy = await startFaultProxy({
      upstream: stand.url,
      upstreamCa: stand.caPem,
      tls: {
        certPem: stand.chain.leaf.certPem,
        keyPem: stand.chain.leaf.keyPem,
        chain: [stand.chain.intermediate.certPem],
      },
    });
    cleanups.push(() => proxy.stop());
    const token = stand.tokens.reader?.token ?? '';
    kubeconfig = await stand.writeKubeconfig([{ name: 'proxied', server: proxy.url, caPem: stand.caPem, token }]);
  }

  it("is trusted by kubectl with the stand's CA and passes the JWKS through", async () => {
    await proxyToStand();
    const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', jwksPath]);
    expect(JSON.parse(stdout)).toEqual({ keys: stand.keys.map(kubernetesJwk) });
    expect(proxy.requests.find((request) => request.path === jwksPath)).toMatchObject({
      method: 'GET',
      status: 200,
      upstreamStatus: 200,
    });
  });

  it("answers a Kubernetes Status that kubectl reports as the server's error", async () => {
    await proxyToStand();
    proxy.inject({
      name: 'forbidden',
      path: new RegExp(`^${discoveryPath}$`),
      action: { kind: 'respond', response: kubernetesStatus(403, 'Forbidden', 'injected: no discovery for you') },
    });
    const failed = await run('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', discoveryPath]).then(
      () => undefined,
      (error: unknown) => error as { stderr: string },
    );
    expect(failed?.stderr).toMatch(/Error from server \(Forbidden\): injected: no discovery for you/);
  });
});

describe('the TCP blackhole', () => {
  it("accepts the connection and never answers: only the client's deadline ends the wait", async () => {
    const blackhole = await startBlackhole();
    cleanups.push(() => blackhole.stop());
    const error = await fetch(`${blackhole.url}/bucket/key`, { signal: AbortSignal.timeout(1000) }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as Error).name).toBe('TimeoutError');
    expect(blackhole.connections).toBe(1);
    const iam = iamThrough(blackhole.url);
    const listing = iam.send(new ListOpenIDConnectProvidersCommand({}), { abortSignal: AbortSignal.timeout(1000) });
    await expect(listing).rejects.toThrow();
    expect(blackhole.connections).toBeGreaterThan(1);
    iam.destroy();
  });
});

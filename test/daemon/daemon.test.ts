/**
 * `irsa-issuer daemon` as a process against the API server stand-in and a directory target: runs
 * on a seconds schedule, one at a time, with readiness and metrics that follow what the runs did.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jwksPath } from '../stand/apiserver.js';
import { everySecond, startTestCluster, type TestCluster } from './cluster.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';
import { scrape } from './scrape.js';

let cluster: TestCluster;
const started: DaemonProcess[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((daemon) => daemon.kill()));
  cluster.reset();
});

afterAll(async () => {
  await cluster.stop();
});

async function daemonFor(target: string, extra: readonly string[] = []): Promise<DaemonProcess> {
  const daemon = await startDaemonProcess(['--schedule', everySecond, ...cluster.syncArgs(target), ...extra]);
  started.push(daemon);
  return daemon;
}

describe('irsa-issuer daemon', () => {
  it('syncs at start and on every tick, publishing once and then finding everything right', async () => {
    const target = await cluster.directory();
    const daemon = await daemonFor(target);
    const runs = await daemon.waitForRuns(3);

    expect(runs.map((run) => run.result)).toEqual(['success', 'success', 'success']);
    expect(runs.map((run) => run.run)).toEqual([1, 2, 3]);
    expect(runs[0]?.steps.publish).toBe('changed');
    expect(runs[0]?.changes.publish).toHaveLength(2);
    expect(runs[2]?.steps).toMatchObject({ read: 'unchanged', publish: 'unchanged', register: 'skipped' });
    expect(runs[2]?.changes).toEqual({});
    expect(runs[2]?.publishedKeys).toBe(2);
    const jwks = JSON.parse(await readFile(join(target, 'openid/v1/jwks'), 'utf8')) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual(cluster.stand.keys.map((key) => key.kid).sort());
    // Each run's report on stdout, in --output json.
    const reports = daemon.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((text) => JSON.parse(text) as { command: string });
    expect(reports.length).toBeGreaterThanOrEqual(3);
    expect(reports[0]?.command).toBe('sync');
  });

  it('reuses its connection to the API server run after run', async () => {
    const before = cluster.proxy.connections;
    const daemon = await daemonFor(await cluster.directory());
    await daemon.waitForRuns(4);
    // 4 runs make 8 GETs; a client that pooled nothing would open 8 connections.
    expect(cluster.proxy.connections - before).toBeLessThanOrEqual(2);
  });

  it('serves health, readiness and Prometheus metrics whose counters follow the runs', async () => {
    const daemon = await daemonFor(await cluster.directory());
    expect((await daemon.get('/healthz')).status).toBe(200);
    await daemon.waitForRuns(2);
    const ready = await daemon.poll('/readyz', (answer) => answer.status === 200, '200');
    expect(ready.body).toMatch(/^ok: last run succeeded at \d{4}-\d\d-\d\dT/);

    const first = await scrape(daemon);
    await daemon.waitForRuns(first.value('irsa_issuer_runs_total', { result: 'success' }) + 2);
    const later = await scrape(daemon);

    expect(later.value('irsa_issuer_runs_total', { result: 'success' })).toBeGreaterThanOrEqual(
      first.value('irsa_issuer_runs_total', { result: 'success' }) + 2,
    );
    expect(later.value('irsa_issuer_runs_total', { result: 'failure' })).toBe(0);
    expect(later.value('irsa_issuer_changes_total', { stage: 'publish' })).toBe(2);
    expect(later.value('irsa_issuer_failures_total', { stage: 'read' })).toBe(0);
    expect(later.value('irsa_issuer_published_keys')).toBe(2);
    expect(later.value('irsa_issuer_last_success_timestamp_seconds')).toBeGreaterThan(
      first.value('irsa_issuer_last_success_timestamp_seconds'),
    );
    expect(later.value('irsa_issuer_last_success_timestamp_seconds')).toBeLessThanOrEqual(Date.now() / 1000);
    const duration = later.sample('irsa_issuer_run_duration_seconds');
    expect(later.family('irsa_issuer_run_duration_seconds').type).toBe('HISTOGRAM');
    expect(Number(duration.count)).toBe(later.value('irsa_issuer_runs_total', { result: 'success' }));
    expect(Number(duration.buckets?.['+Inf'])).toBe(Number(duration.count));
    // prom-client's default Node metrics, from the daemon's own registry.
    expect(later.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(later.family('nodejs_eventloop_lag_seconds').type).toBe('GAUGE');
  });

  it('turns /readyz 503 after a failed run, naming the stage, and 200 after the next good one', async () => {
    const daemon = await daemonFor(await cluster.directory());
    await daemon.poll('/readyz', (answer) => answer.status === 200, '200');

    cluster.stand.override(jwksPath, {
      status: 500,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'etcdserver: request timed out',
        code: 500,
      },
    });
    const failed = await daemon.waitForLog((line) => line.msg === 'run failed', 'a failed run');
    expect(failed).toMatchObject({
      level: 50,
      result: 'failure',
      failure: { stage: 'read', code: 'ERR_CLUSTER_READ' },
    });
    const notReady = await daemon.poll('/readyz', (answer) => answer.status === 503, '503');
    expect(notReady.body).toMatch(/^last run failed at read: .*HTTP 500.*etcdserver: request timed out/);
    expect(notReady.body.trim().split('\n')).toHaveLength(1);
    expect((await daemon.get('/healthz')).status).toBe(200);
    const metrics = await scrape(daemon);
    expect(metrics.value('irsa_issuer_failures_total', { stage: 'read' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('irsa_issuer_runs_total', { result: 'failure' })).toBeGreaterThanOrEqual(1);

    cluster.stand.reset();
    const ready = await daemon.poll('/readyz', (answer) => answer.status === 200, '200 again');
    expect(ready.body).toMatch(/^ok: /);
  });

  it('skips a tick that comes while a slow run is going, and never overlaps two runs', async () => {
    const daemon = await daemonFor(await cluster.directory());
    await daemon.waitForRuns(1);
    // Each chunk the daemon sends the API server is held: a run now spans several ticks (its two
    // GETs go out together, so one delay is most of the run: longer than two 1 s intervals).
    cluster.proxy.setDelay(2500);
    await daemon.waitForLog((line) => line.msg.startsWith('schedule tick skipped'), 'a skipped tick');
    const metrics = await scrape(daemon);
    expect(metrics.value('irsa_issuer_runs_total', { result: 'skipped' })).toBeGreaterThanOrEqual(1);
    // Stale while the slow run goes on past two intervals: a stuck daemon is not ready.
    const stale = await daemon.poll('/readyz', (answer) => answer.status === 503, '503');
    expect(stale.body).toMatch(/older than two schedule intervals \(2 s\)/);

    cluster.proxy.setDelay(0);
    const count = daemon.runs.length;
    const runs = await daemon.waitForRuns(count + 2);
    const spans = runs.map((run) => ({
      start: Date.parse(run.startedAt),
      end: Date.parse(run.startedAt) + run.durationMs,
    }));
    for (let index = 1; index < spans.length; index++) {
      expect(spans[index]?.start).toBeGreaterThanOrEqual(spans[index - 1]?.end ?? Infinity);
    }
    expect(runs.some((run) => run.durationMs > 1000)).toBe(true);
    // The API server saw one run's pair of GETs after another, never two runs interleaved (within a
    // run the two go out together, so either may arrive first).
    const paths = cluster.stand.requests.map((entry) => entry.path);
    for (let index = 0; index + 1 < paths.length; index += 2) {
      expect([paths[index], paths[index + 1]].sort()).toEqual(['/.well-known/openid-configuration', jwksPath].sort());
    }
  });

  describe('its HTTP server', () => {
    it('answers GET and HEAD on its three paths, and nothing else', async () => {
      const daemon = await daemonFor(await cluster.directory());
      const post = await daemon.get('/readyz', { method: 'POST', body: 'x' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      expect((await daemon.get('/healthz', { method: 'DELETE' })).status).toBe(405);
      const head = await daemon.get('/healthz', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      for (const path of ['/', '/metrics/', '/../etc/passwd', '/debug/pprof', '/healthz/x']) {
        const answer = await daemon.get(path);
        expect(answer.status).toBe(404);
        expect(answer.body.length).toBeLessThan(100);
      }
      expect((await daemon.get('/healthz?verbose')).status).toBe(200);
      expect((await daemon.get('/healthz')).headers.get('cache-control')).toBe('no-store');
    });

    it('refuses a request with a body, and headers past 8 KiB', async () => {
      const daemon = await daemonFor(await cluster.directory());
      const { port } = new URL(daemon.url);
      const send = (headers: Record<string, string>, body?: string) =>
        new Promise<number>((resolve, reject) => {
          const outgoing = request(
            { host: '127.0.0.1', port, path: '/healthz', method: 'GET', headers },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            },
          );
          outgoing.on('error', reject);
          outgoing.end(body);
        });
      expect(await send({ 'content-length': '5' }, 'hello')).toBe(400);
      expect(await send({ 'x-filler': 'a'.repeat(16 * 1024) })).toBe(431);
    });

    it("is off with --listen ''", async () => {
      const daemon = await daemonFor(await cluster.directory(), ['--listen', '']);
      const started = daemon.logs.find((line) => line.msg === 'daemon started');
      expect(started?.listen).toBe('off');
      await expect(fetch(`${daemon.url}/healthz`)).rejects.toThrow();
      await daemon.waitForRuns(1);
    });
  });
});

/**
 * Stopping the daemon as Kubernetes does (SIGTERM, then SIGKILL after the grace period) and as a
 * person does (Ctrl-C, twice when impatient): a run in flight finishes, or the exit says it did not.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { everySecond, startTestCluster, type TestCluster } from './cluster.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';

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

/** A daemon whose first run is being held at the API server when this resolves. */
async function daemonInSlowRun(target: string, delayMs: number, extra: readonly string[] = []): Promise<DaemonProcess> {
  cluster.proxy.setDelay(delayMs);
  const held = cluster.proxy.held();
  const daemon = await startDaemonProcess(['--schedule', everySecond, ...cluster.syncArgs(target), ...extra]);
  started.push(daemon);
  await held;
  return daemon;
}

describe('irsa-issuer daemon, stopped', () => {
  it('by SIGTERM during a run: the run finishes, then it exits 0 and stops serving', async () => {
    const target = await cluster.directory();
    const daemon = await daemonInSlowRun(target, 400);
    expect((await daemon.get('/healthz')).status).toBe(200);
    const notYet = await daemon.get('/readyz');
    expect([notYet.status, notYet.body]).toEqual([503, 'no run has finished yet\n']);
    daemon.signal('SIGTERM');
    const exit = await daemon.exited;

    expect(exit).toEqual({ code: 0, signal: null });
    const stopping = daemon.logs.findIndex((line) => line.msg === 'stopping: no more scheduled runs');
    const finished = daemon.logs.findIndex((line) => line.msg === 'run finished');
    expect(stopping).toBeGreaterThanOrEqual(0);
    expect(finished).toBeGreaterThan(stopping);
    expect(daemon.runs).toHaveLength(1);
    expect(daemon.logs.at(-1)?.msg).toBe('stopped');
    const discovery = JSON.parse(await readFile(join(target, '.well-known/openid-configuration'), 'utf8')) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(cluster.stand.issuer);
    await expect(fetch(`${daemon.url}/healthz`)).rejects.toThrow();
  });

  it('by SIGINT between runs: it exits 0 at once', async () => {
    const daemon = await startDaemonProcess([
      '--schedule',
      '0 0 1 1 *',
      ...cluster.syncArgs(await cluster.directory()),
    ]);
    started.push(daemon);
    await daemon.waitForRuns(1);
    daemon.signal('SIGINT');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  });

  it('by a second signal: it exits 1 at once, saying the run was left unfinished', async () => {
    const daemon = await daemonInSlowRun(await cluster.directory(), 10_000);
    daemon.signal('SIGTERM');
    await daemon.waitForLog((line) => line.msg === 'stopping: waiting for the run in flight', 'the wait for the run');
    daemon.signal('SIGINT');
    const exit = await daemon.exited;

    expect(exit).toEqual({ code: 1, signal: null });
    expect(daemon.stderr).toContain('irsa-issuer: SIGINT again: exiting now, without waiting for the run in flight.');
    expect(daemon.runs).toHaveLength(0);
  });

  it('when --shutdown-grace runs out with a run still going: it exits 1 and says so', async () => {
    const daemon = await daemonInSlowRun(await cluster.directory(), 10_000, ['--shutdown-grace', '0.5']);
    daemon.signal('SIGTERM');
    const exit = await daemon.exited;

    expect(exit).toEqual({ code: 1, signal: null });
    expect(daemon.stderr).toContain('irsa-issuer: the run in flight did not finish within --shutdown-grace 0.5 s');
    expect(daemon.runs).toHaveLength(0);
  });
});

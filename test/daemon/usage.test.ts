/**
 * A daemon that could never run right refuses to start (exit 2) before it reads or writes
 * anything: a Deployment with a bad schedule should crash-loop with the reason in its log, not
 * sit Ready and idle.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './cluster.js';

const bundle = join(import.meta.dirname, '..', '..', 'dist', 'irsa-issuer.mjs');
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
});

afterAll(async () => {
  await cluster.stop();
});

async function daemon(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bundle, 'daemon', ...args], {
      env: { PATH: process.env.PATH, ...env },
      timeout: 15_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('irsa-issuer daemon refuses to start', () => {
  it.each([
    ['61 * * * *', /--schedule "61 \* \* \* \*" is not a cron expression \(61 is a invalid expression for minute\)/],
    ['*/10 * * *', /expected 5 or 6 fields but got 4/],
    ['every ten minutes', /is not a cron expression/],
    ['', /is not a cron expression \(it is empty\)/],
  ])('with the schedule %j: exit 2, nothing written', async (schedule, message) => {
    const target = await cluster.directory();
    const result = await daemon(['--schedule', schedule, ...cluster.syncArgs(target)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('"*/10 * * * *"');
    expect(await readdir(target)).toEqual([]);
  });

  it('without a schedule, naming the flag and its variable', async () => {
    const result = await daemon(cluster.syncArgs(await cluster.directory()));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('No schedule given: pass --schedule "*/10 * * * *" (or set IRSA_ISSUER_SCHEDULE)');
  });

  it('takes its own flags from IRSA_ISSUER_* variables too', async () => {
    const result = await daemon(cluster.syncArgs(await cluster.directory()), { IRSA_ISSUER_SCHEDULE: '* * *' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--schedule "* * *" is not a cron expression');
  });

  it.each([
    ['8080', /--listen "8080" is not an address to listen on/],
    [':70000', /--listen ":70000" is not an address/],
    ['localhost:http', /is not an address/],
  ])('with --listen %j: exit 2', async (listen, message) => {
    const result = await daemon([
      '--schedule',
      '*/10 * * * *',
      '--listen',
      listen,
      ...cluster.syncArgs(await cluster.directory()),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('with a --shutdown-grace that is no number of seconds: exit 2', async () => {
    const result = await daemon([
      '--schedule',
      '*/10 * * * *',
      '--shutdown-grace',
      'soon',
      ...cluster.syncArgs(await cluster.directory()),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--shutdown-grace "soon" is not a number of seconds');
  });

  it('when its port is taken: exit 2 before the first run, nothing written', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const target = await cluster.directory();
      const result = await daemon([
        '--schedule',
        '*/10 * * * *',
        '--listen',
        `127.0.0.1:${String(port)}`,
        ...cluster.syncArgs(target),
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `Cannot listen on --listen 127.0.0.1:${String(port)}: the port is in use by another process`,
      );
      expect(await readdir(target)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) =>
        taken.close(() => {
          resolve();
        }),
      );
    }
  });

  it('documents its endpoints, exit codes and variables in --help', async () => {
    const result = await daemon(['--help']);
    expect(result.code).toBe(0);
    for (const text of [
      '/healthz',
      '/readyz',
      '/metrics',
      'Exit codes:',
      'IRSA_ISSUER_SCHEDULE',
      'IRSA_ISSUER_LISTEN',
      'IRSA_ISSUER_SHUTDOWN_GRACE',
      'Examples:',
    ]) {
      expect(result.stdout).toContain(text);
    }
  });
});

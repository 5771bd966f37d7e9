/**
 * The arguments the chart renders are ones the CLI takes: the CronJob's container arguments, run
 * with the built bundle against the API server stand-in, publish the documents; and every flag
 * either mode passes is one its command's `--help` documents (`sync` for the CronJob, `daemon` for
 * the Deployment; a misspelt flag would otherwise surface only as a crash-looping pod).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemonProcess } from '../daemon/daemon-process.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { container, render, type Values } from './helm.js';

const bundle = join(import.meta.dirname, '..', '..', 'dist', 'irsa-issuer.mjs');
const issuer = 'https://oidc.example.com/clusters/prod';

let stand: ApiServerStand;
let dir: string;

beforeAll(async () => {
  stand = await startApiServer({ issuer });
  dir = await mkdtemp(join(tmpdir(), 'irsa-chart-args-'));
});

afterAll(async () => {
  await stand.stop();
  await rm(dir, { recursive: true, force: true });
});

async function run(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bundle, ...args], {
      env: { PATH: process.env.PATH, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function flagsOf(args: readonly string[]): string[] {
  return args.filter((arg) => arg.startsWith('--')).map((arg) => arg.replace(/=.*$/s, ''));
}

const everySetting: Values = {
  image: { repository: 'registry.example.com/irsa-issuer' },
  issuer,
  target: 's3://my-bucket/clusters/prod',
  s3Endpoint: 'https://minio.example.com',
  region: 'eu-west-1',
  audiences: ['sts.amazonaws.com'],
  tags: { cluster: 'prod' },
  thumbprints: ['a'.repeat(40)],
  aws: { accountRoles: ['arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod#prod'] },
  verify: true,
  register: false,
  cacheControl: 'max-age=60',
  output: 'json',
};

describe('the arguments the chart renders', () => {
  it('run sync as the CronJob would, and publish both documents', async () => {
    const target = join(dir, 'public');
    const objects = await render({
      image: { repository: 'registry.example.com/irsa-issuer' },
      issuer,
      target: `file://${target}`,
      audiences: ['sts.amazonaws.com'],
      tags: { cluster: 'prod' },
      register: false,
      cacheControl: 'max-age=60',
      output: 'json',
    });
    const { args = [] } = container(objects);
    // In the pod the client reads its in-cluster service account; here the stand's reader context.
    const kubeconfig = await stand.writeKubeconfig([
      { name: 'in-cluster', server: stand.url, caPem: stand.caPem, token: stand.tokens.reader?.token ?? '' },
    ]);
    const result = await run(args, { KUBECONFIG: kubeconfig });
    expect(result.stderr).not.toMatch(/"level":(50|60)/);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toBeTypeOf('object');
    const discovery = JSON.parse(await readFile(join(target, '.well-known/openid-configuration'), 'utf8')) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(issuer);
    const jwks = JSON.parse(await readFile(join(target, 'openid/v1/jwks'), 'utf8')) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual(stand.keys.map((key) => key.kid).sort());
  });

  it('run the daemon as the Deployment would: it syncs, is ready, and stops cleanly on SIGTERM', async () => {
    const target = join(dir, 'daemon-public');
    const objects = await render({
      image: { repository: 'registry.example.com/irsa-issuer' },
      issuer,
      target: `file://${target}`,
      register: false,
      mode: 'daemon',
    });
    const { args = [] } = container(objects);
    expect(args.slice(0, 4)).toEqual(['daemon', '--schedule=*/10 * * * *', '--listen=:8080', '--shutdown-grace=25']);
    const kubeconfig = await stand.writeKubeconfig([
      { name: 'in-cluster', server: stand.url, caPem: stand.caPem, token: stand.tokens.reader?.token ?? '' },
    ]);
    // The pod's port is its own; here a free one on loopback stands in for :8080.
    const daemon = await startDaemonProcess(
      args.slice(1).filter((arg) => !arg.startsWith('--listen=')),
      { KUBECONFIG: kubeconfig },
    );
    try {
      const [first] = await daemon.waitForRuns(1);
      expect(first).toMatchObject({ result: 'success', steps: { publish: 'changed' } });
      await daemon.poll('/readyz', (answer) => answer.status === 200, '200');
      daemon.signal('SIGTERM');
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
    } finally {
      await daemon.kill();
    }
    const discovery = JSON.parse(await readFile(join(target, '.well-known/openid-configuration'), 'utf8')) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(issuer);
  });

  it.each([
    ['cronjob', 'sync'],
    ['daemon', 'daemon'],
  ])('of mode %s are all flags `irsa-issuer %s --help` documents', async (mode, command) => {
    const { args = [] } = container(await render({ ...everySetting, mode, schedule: '*/10 * * * *' }));
    expect(args[0]).toBe(command);
    const help = await run([command, '--help'], {});
    expect(help.code).toBe(0);
    const documented = new Set(help.stdout.match(/--[a-z0-9-]+/g));
    const passed = flagsOf(args);
    expect(passed.length).toBeGreaterThan(10);
    expect(passed.filter((flag) => !documented.has(flag))).toEqual([]);
  });
});

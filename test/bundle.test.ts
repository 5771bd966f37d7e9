/**
 * The built bundle is what the Dockerfile and `npx irsa-issuer` run, so it is tested as a process:
 * exit codes, stdout, JSON logs on stderr.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerStand } from './stand/apiserver.js';

const bundle = join(import.meta.dirname, '..', 'dist', 'irsa-issuer.mjs');
const issuer = 'https://oidc.example.com/clusters/prod';
let stand: ApiServerStand;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function irsaIssuer(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
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

beforeAll(async () => {
  stand = await startApiServer({ issuer });
});

afterAll(async () => {
  await stand.stop();
});

describe('the irsa-issuer bundle', () => {
  it('publishes to a directory and logs JSON lines on stderr with no token in them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'irsa-bundle-'));
    const run = await irsaIssuer([
      'sync',
      '--issuer',
      issuer,
      '--target',
      `file://${dir}`,
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'reader',
      '--no-register',
      '--log-level',
      'debug',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Done: changes made/);
    const discovery = JSON.parse(await readFile(join(dir, '.well-known/openid-configuration'), 'utf8')) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(issuer);
    const lines = run.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(run.stderr).toMatch(/"msg":"sync finished"/);
    for (const { token } of Object.values(stand.tokens)) expect(run.stderr + run.stdout).not.toContain(token);
  });

  it('exits 2 with one readable line, not a stack trace, on a bad issuer', async () => {
    const run = await irsaIssuer(['sync', '--issuer', 'http://oidc.example.com', '--target', 'file:///tmp/never']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^irsa-issuer: The issuer http:\/\/oidc\.example\.com uses http:\/\//);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 naming the server when the API server cannot be reached', async () => {
    const kubeconfig = await stand.writeKubeconfig([
      { name: 'gone', server: 'https://127.0.0.1:1', token: 'x'.repeat(20) },
    ]);
    const run = await irsaIssuer(['render', '--issuer', issuer, '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/127\.0\.0\.1:1/);
    expect(run.stderr).not.toContain('x'.repeat(20));
  });

  it('teaches with --help: every flag and its environment variable', async () => {
    const run = await irsaIssuer(['sync', '--help']);
    expect(run.code).toBe(0);
    for (const flag of [
      '--issuer',
      '--target',
      '--kubeconfig',
      '--public-key-file',
      '--s3-endpoint',
      '--dry-run',
      '--no-register',
      '--audience',
      '--thumbprint',
      '--tag',
    ]) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toContain('IRSA_ISSUER_S3_ENDPOINT');
    expect(run.stdout).toMatch(/Exit codes:/);
  });
});

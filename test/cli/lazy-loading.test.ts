/**
 * A command loads only what it uses (bench/README.md has what each load costs): the chunks of the
 * built bundle a run loads are searched for the heavy clients by the class names the build keeps
 * (keepNames).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedFiles } from '../stand/loaded-files.js';

const clients = ['S3Client', 'S3ControlClient', 'IAMClient', 'STSClient', 'KubeConfig'] as const;
type Client = (typeof clients)[number];

let directory: string;
let keyFile: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'irsa-lazy-'));
  keyFile = join(directory, 'sa.pub');
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Runs the bundle; returns its exit code and the heavy clients among the files it loaded. */
async function loadedBy(args: readonly string[]): Promise<{ code: number; loaded: Client[] }> {
  const { code, files, stderr } = await loadedFiles(args, {
    PATH: process.env.PATH,
    // No request of these runs may leave the machine: fixed credentials, no instance metadata.
    AWS_ACCESS_KEY_ID: 'AKIDLAZYLOADTEST',
    AWS_SECRET_ACCESS_KEY: 'lazy-load-test-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9',
  });
  expect(files.length).toBeGreaterThan(0);
  // Whatever the command's outcome, loading what it needed went right.
  expect(stderr).not.toMatch(/internal error|is not a constructor|Cannot find/);
  const sources = await Promise.all(files.map((file) => readFile(file, 'utf8')));
  return { code, loaded: clients.filter((client) => sources.some((source) => source.includes(`"${client}"`))) };
}

describe('what a command loads', () => {
  it('--help and a command’s --help load no AWS or Kubernetes client', async () => {
    expect(await loadedBy(['--help'])).toEqual({ code: 0, loaded: [] });
    expect(await loadedBy(['sync', '--help'])).toEqual({ code: 0, loaded: [] });
    expect(await loadedBy(['bootstrap', '--help'])).toEqual({ code: 0, loaded: [] });
  });

  it('render --public-key-file loads no AWS SDK and no Kubernetes client', async () => {
    const render = ['render', '--issuer', 'https://oidc.example.com/prod', '--public-key-file', keyFile];
    expect(await loadedBy(render)).toEqual({ code: 0, loaded: [] });
    const out = join(directory, 'out');
    expect(await loadedBy([...render, '--out', out])).toEqual({ code: 0, loaded: [] });
  });

  it('loads the Kubernetes client only to read an API server, S3 only for an S3 target, IAM only to register', async () => {
    // Nothing to connect to: each run stops at its first request, after loading what it needed.
    const kubeconfig = join(directory, 'missing-kubeconfig');
    const fromCluster = await loadedBy([
      'render',
      '--issuer',
      'https://oidc.example.com/prod',
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(fromCluster).toEqual({ code: 2, loaded: ['KubeConfig'] });
    const toFiles = [
      'sync',
      '--issuer',
      'https://oidc.example.com/prod',
      '--public-key-file',
      keyFile,
      '--no-register',
    ];
    const fileTarget = await loadedBy([...toFiles, '--target', `file://${join(directory, 'site')}`]);
    // --no-register: no IAM client, and no STS client either (that is --account-role's).
    expect(fileTarget).toEqual({ code: 0, loaded: [] });
    const s3Target = await loadedBy([
      ...toFiles,
      '--target',
      's3://bucket/prefix',
      '--region',
      'eu-west-1',
      '--s3-endpoint',
      'http://127.0.0.1:9',
      '--dry-run',
    ]);
    expect(s3Target.loaded).toContain('S3Client');
    const registering = await loadedBy([
      ...toFiles.filter((arg) => arg !== '--no-register'),
      '--target',
      `file://${join(directory, 'site')}`,
      '--thumbprint',
      'a'.repeat(40),
      '--dry-run',
      '--timeout',
      '1',
    ]);
    expect(registering).toEqual({ code: 1, loaded: expect.arrayContaining(['IAMClient']) as unknown });
  });
});

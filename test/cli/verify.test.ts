/**
 * irsa-issuer verify on the command line, against real parts: documents published by the real sync
 * to a directory a TLS host serves on a generated chain, the kube-apiserver stand, moto for IAM and STS.
 * The CLI builds its own AWS clients from the SDK's chain, as in production; AWS_ENDPOINT_URL_* point them at moto.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { discoveryPath, type Issuer } from '../../src/issuer.js';
import type { ApiServerStand } from '../stand/apiserver.js';
import type { CertificateChain } from '../stand/certs.js';
import { dummyCredentials } from '../stand/iam.js';
import { freePort, type MotoServer } from '../stand/moto.js';
import { federationPrefix, federationRoleArn, startFederation, type Federation } from '../stand/federation.js';
import { cli } from './cli.js';

const prefix = federationPrefix;
const roleArn = federationRoleArn;
const jwtPattern = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

let chain: CertificateChain;
let root: string;
let issuer: Issuer;
let stand: ApiServerStand;
let moto: MotoServer;

const verifyArgs = (...extra: string[]) => [
  'verify', '--issuer', issuer.url, '--kubeconfig', stand.kubeconfigPath, '--context', 'reader', '--ca-file', chain.root.certPath, '--timeout', '3', ...extra,
];

let federation: Federation;
const createProvider = (clientIds = ['sts.amazonaws.com']) => federation.createProvider({ clientIds });

beforeAll(async () => {
  federation = await startFederation();
  ({ chain, root, issuer, stand, moto } = federation);
  process.env.AWS_ACCESS_KEY_ID = dummyCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = dummyCredentials.secretAccessKey;
  process.env.AWS_ENDPOINT_URL_IAM = moto.endpoint;
  process.env.AWS_ENDPOINT_URL_STS = moto.endpoint;
});

afterAll(() => federation.stop());

beforeEach(() => federation.reset());

describe('irsa-issuer verify', () => {
  it('passes every check, prints the assumed role, and exits 0', async () => {
    await createProvider();
    const result = await cli(verifyArgs('--service-account', 'team-a/app', '--role-arn', roleArn));
    expect(result.stderr).not.toMatch(/irsa-issuer:/);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => /^[✓✗-] /.test(line));
    expect(lines.map((line) => line.slice(0, 12).trim())).toEqual([
      '✓ discovery', '✓ issuer', '✓ jwks', '✓ keys', '✓ provider', '✓ thumbprint', '✓ audience', '✓ token', '✓ sts',
    ]);
    expect(result.stdout).toContain('assumed arn:aws:sts::123456789012:assumed-role/team-a-app/irsa-issuer-verify');
    expect(result.stdout).toMatch(/Verified: all 9 checks run passed/);
    expect(result.stdout + result.stderr).not.toMatch(jwtPattern);
  });

  it('exits 4 with a ✗ and its fix when the document names another issuer', async () => {
    await createProvider();
    await writeFile(join(root, prefix, discoveryPath), JSON.stringify({ issuer: 'https://someone-else.example.com', jwks_uri: issuer.jwksUrl }));
    const result = await cli(verifyArgs());
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^✗ issuer +issuer matches: the document at .* names issuer https:\/\/someone-else\.example\.com/m);
    expect(result.stdout).toMatch(/^✗ issuer.*\n {4}fix: .*irsa-issuer sync --issuer/m);
    expect(result.stderr).toMatch(/^irsa-issuer: verification of .* failed: issuer\./m);
  });

  it('exits 4 when there is no provider, and reports it as JSON on request', async () => {
    const result = await cli(verifyArgs('--output', 'json'));
    expect(result.code).toBe(4);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { id: string; status: string; fix?: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.id === 'provider')).toMatchObject({ status: 'failed', fix: expect.stringContaining('without --no-register') as unknown });
    expect(report.checks.find((check) => check.id === 'thumbprint')?.status).toBe('skipped');
  });

  it('reports a discovery host that is down as a ✗, exit 4, no stack trace', async () => {
    const result = await cli(['verify', '--issuer', `https://127.0.0.1:${await freePort()}`, '--no-aws', '--public-key-file', chain.leaf.certPath]);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^✗ discovery .*was refused/m);
    expect(result.stdout).toMatch(/^ {4}fix: /m);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
  });

  it('takes its flags from IRSA_ISSUER_* variables', async () => {
    const result = await cli(['verify', '--output', 'text'], {
      IRSA_ISSUER_ISSUER: issuer.url,
      IRSA_ISSUER_CA_FILE: chain.root.certPath,
      IRSA_ISSUER_NO_AWS: 'true',
      IRSA_ISSUER_KUBECONFIG: stand.kubeconfigPath,
      IRSA_ISSUER_CONTEXT: 'reader',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^✓ keys /m);
    expect(result.stdout).toMatch(/^- provider .*--no-aws/m);
  });

  it('checks every audience given, also as the comma-separated list sync takes from IRSA_ISSUER_AUDIENCE', async () => {
    await createProvider(['sts.amazonaws.com']);
    const result = await cli(verifyArgs(), { IRSA_ISSUER_AUDIENCE: 'sts.amazonaws.com,vault' });
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^✗ audience .*not vault/m);
    expect(result.stdout).toMatch(/fix: Add it: irsa-issuer sync --audience sts\.amazonaws\.com --audience vault/);
  });

  it('--help shows examples and exit codes', async () => {
    const result = await cli(['verify', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Examples:\n\s+irsa-issuer verify --issuer/);
    expect(result.stdout).toMatch(/Exit codes: 0 .*\n.*4 verification failed/);
    expect(result.stdout).toContain('IRSA_ISSUER_ROLE_ARN');
  });

  describe('configuration errors exit 2 before anything is fetched', () => {
    it.each([
      [['--role-arn', roleArn], /--role-arn exchanges a token minted for --service-account/],
      [['--service-account', 'no-slash'], /is not NAMESPACE\/NAME/],
      [['--service-account', 'a/b', '--role-arn', 'arn:aws:iam::1:user/x'], /is not a role ARN/],
      [['--timeout', '0'], /--timeout "0"/],
    ])('verify %j', async (args, message) => {
      const result = await cli(['verify', '--issuer', 'https://oidc.example.com', '--no-aws', ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    });

    it('a token needs the API server, not PEM files', async () => {
      const result = await cli(['verify', '--issuer', 'https://oidc.example.com', '--public-key-file', chain.leaf.certPath, '--service-account', 'a/b']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/needs the API server/);
    });

    it('no issuer', async () => {
      const result = await cli(['verify']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/No issuer given/);
    });
  });
});

/**
 * irsa-issuer verify on the command line, against real parts: documents published by the real sync
 * to a directory a TLS host serves on a generated chain, the kube-apiserver stand, moto for IAM and the
 * STS stand-in (which checks tokens as STS does) for STS. The CLI builds its own AWS clients from the
 * SDK's chain, as in production; AWS_ENDPOINT_URL_IAM points at moto, AWS_ENDPOINT_URL_STS at the stand.
 */
import { UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { discoveryPath, type Issuer } from '../../src/issuer.js';
import type { ApiServerStand } from '../stand/apiserver.js';
import type { CertificateChain } from '../stand/certs.js';
import { dummyCredentials } from '../stand/iam.js';
import { freePort, type MotoServer } from '../stand/moto.js';
import { federationPrefix, federationRoleArn, startFederation, type Federation } from '../stand/federation.js';
import { startSts, type StsStand } from '../stand/sts.js';
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
  'verify',
  '--issuer',
  issuer.url,
  '--kubeconfig',
  stand.kubeconfigPath,
  '--context',
  'reader',
  '--ca-file',
  chain.root.certPath,
  '--timeout',
  '3',
  ...extra,
];

let federation: Federation;
let sts: StsStand;
const createProvider = (clientIds = ['sts.amazonaws.com']) => federation.createProvider({ clientIds });

beforeAll(async () => {
  federation = await startFederation();
  ({ chain, root, issuer, stand, moto } = federation);
  sts = await startSts({ iamEndpoint: moto.endpoint, ca: chain.root.certPem });
  process.env.AWS_ACCESS_KEY_ID = dummyCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = dummyCredentials.secretAccessKey;
  process.env.AWS_ENDPOINT_URL_IAM = moto.endpoint;
  process.env.AWS_ENDPOINT_URL_STS = sts.endpoint;
});

afterAll(async () => {
  await sts.stop();
  await federation.stop();
});

beforeEach(async () => {
  sts.reset();
  await federation.reset();
});

describe('irsa-issuer verify', () => {
  it('passes every check, prints the assumed role, and exits 0', async () => {
    await createProvider();
    const result = await cli(verifyArgs('--service-account', 'team-a/app', '--role-arn', roleArn));
    expect(result.stderr).not.toMatch(/irsa-issuer:/);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => /^[✓✗-] /.test(line));
    expect(lines.map((line) => line.slice(0, 12).trim())).toEqual([
      '✓ discovery',
      '✓ issuer',
      '✓ jwks',
      '✓ metadata',
      '✓ limits',
      '✓ signing',
      '✓ keys',
      '✓ provider',
      '✓ thumbprint',
      '✓ audience',
      '✓ token',
      '✓ sts',
    ]);
    expect(result.stdout).toContain('assumed arn:aws:sts::123456789012:assumed-role/team-a-app/irsa-issuer-verify');
    expect(result.stdout).toMatch(/Verified: all 12 checks run passed/);
    expect(result.stdout + result.stderr).not.toMatch(jwtPattern);
  });

  describe("--role-arn: each refusal STS answers shows as ✗ sts with STS's words and a fix, exit 4", () => {
    const providerArn = () => `arn:aws:iam::123456789012:oidc-provider/${issuer.providerName}`;
    const stsLine = (answer: string) =>
      new RegExp(
        `^✗ sts +STS exchanges the token for the role: AssumeRoleWithWebIdentity for ${roleArn} failed: ${answer}\n {4}fix: `,
        'm',
      );

    it.each([
      {
        story: 'the role trusts only another service account',
        given: async () => {
          await createProvider();
          await federation.iam.send(
            new UpdateAssumeRolePolicyCommand({
              RoleName: 'team-a-app',
              PolicyDocument: JSON.stringify({
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Principal: { Federated: providerArn() },
                    Action: 'sts:AssumeRoleWithWebIdentity',
                    Condition: {
                      StringEquals: { [`${issuer.providerName}:sub`]: 'system:serviceaccount:team-b:worker' },
                    },
                  },
                ],
              }),
            }),
          );
        },
        answer: 'AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity',
        fix: () =>
          `fix: Let the service account assume the role; its trust policy needs this statement: {"Effect":"Allow","Principal":{"Federated":"${providerArn()}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"${issuer.providerName}:sub":"system:serviceaccount:team-a:app"`,
      },
      {
        story: 'there is no provider for the issuer',
        given: () => Promise.resolve(),
        answer:
          'InvalidIdentityTokenException: No OpenIDConnect provider found in your account for https://127\\.0\\.0\\.1:\\d+/clusters/prod',
        fix: () => `fix: Create the IAM OIDC provider in the role's account: irsa-issuer sync --issuer ${issuer.url}.`,
      },
      {
        story: 'the provider does not list the audience',
        given: () => createProvider(['some-other-client']),
        answer: 'InvalidIdentityTokenException: Incorrect token audience',
        fix: () =>
          `fix: Add client ID sts.amazonaws.com to the provider: irsa-issuer sync --issuer ${issuer.url} --audience sts.amazonaws.com.`,
      },
      {
        story: "STS's clock runs ahead of the cluster's",
        given: async () => {
          await createProvider();
          sts.setClockOffset(600 + 301);
        },
        answer:
          'ExpiredTokenException: Token expired: current date/time \\d+ must be before the expiration date/time \\d+',
        fix: () => "fix: The token had expired by STS's clock: fix time synchronisation (NTP) on the API server.",
      },
    ])('$story', async ({ given, answer, fix }) => {
      await given();
      const result = await cli(verifyArgs('--service-account', 'team-a/app', '--role-arn', roleArn));
      expect(result.code).toBe(4);
      expect(result.stdout).toMatch(stsLine(answer));
      expect(result.stdout).toContain(fix());
      expect(result.stderr).toMatch(/^irsa-issuer: verification of .* failed: .*sts/m);
      expect(result.stdout + result.stderr).not.toMatch(jwtPattern);
    });
  });

  it('exits 4 with a ✗ and its fix when the document names another issuer', async () => {
    await createProvider();
    const document = JSON.parse(await readFile(join(root, prefix, discoveryPath), 'utf8')) as Record<string, unknown>;
    await writeFile(
      join(root, prefix, discoveryPath),
      JSON.stringify({ ...document, issuer: 'https://someone-else.example.com' }),
    );
    const result = await cli(verifyArgs());
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(
      /^✗ issuer +issuer matches: the document at .* names issuer https:\/\/someone-else\.example\.com/m,
    );
    expect(result.stdout).toMatch(/^✗ issuer.*\n {4}fix: .*irsa-issuer sync --issuer/m);
    expect(result.stderr).toMatch(/^irsa-issuer: verification of .* failed: issuer\./m);
  });

  it('exits 4 when there is no provider, and reports it as JSON on request', async () => {
    const result = await cli(verifyArgs('--output', 'json'));
    expect(result.code).toBe(4);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { id: string; status: string; fix?: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.id === 'provider')).toMatchObject({
      status: 'failed',
      fix: expect.stringContaining('without --no-register') as unknown,
    });
    expect(report.checks.find((check) => check.id === 'thumbprint')?.status).toBe('skipped');
  });

  it('reports a discovery host that is down as a ✗, exit 4, no stack trace', async () => {
    const result = await cli([
      'verify',
      '--issuer',
      `https://127.0.0.1:${await freePort()}`,
      '--no-aws',
      '--public-key-file',
      chain.leaf.certPath,
    ]);
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
    expect(result.stdout).toContain(
      `fix: Add it: irsa-issuer sync --issuer ${issuer.url} --audience sts.amazonaws.com --audience vault (other client IDs are kept)`,
    );
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
      [['--service-account', 'no-slash'], /names no namespace: pass NAMESPACE\/NAME/],
      [['--service-account', 'a/b', '--namespace', 'c'], /names the namespace a, but --namespace says c/],
      [['--service-account', 'a/b', '--role-arn', 'arn:aws:iam::1:user/x'], /is not a role ARN/],
      [['--timeout', '0'], /--timeout "0"/],
    ])('verify %j', async (args, message) => {
      const result = await cli(['verify', '--issuer', 'https://oidc.example.com', '--no-aws', ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    });

    it('a token needs the API server, not PEM files', async () => {
      const result = await cli([
        'verify',
        '--issuer',
        'https://oidc.example.com',
        '--public-key-file',
        chain.leaf.certPath,
        '--service-account',
        'a/b',
      ]);
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

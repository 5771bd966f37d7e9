/**
 * verify --account-role: the IAM checks again in every account, through its role. Documents are
 * published by the real sync to a directory a TLS host serves (test/stand/federation.ts); IAM and
 * STS AssumeRole are moto's, one moto_server holding every account (see test/stand/accounts.ts).
 */
import { CreateOpenIDConnectProviderCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { iamInAccount } from '../stand/accounts.js';
import { startFederation, type Federation } from '../stand/federation.js';
import { cli } from '../cli/cli.js';

const teamA = '222222222222';
const data = '333333333333';
const roleOf = (account: string) => `arn:aws:iam::${account}:role/irsa-issuer-registrar-prod`;

let federation: Federation;
const saved = { ...process.env };

beforeAll(async () => {
  federation = await startFederation();
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIRSAISSUERTESTKEY';
  process.env.AWS_SECRET_ACCESS_KEY = 'irsa-issuer-test-secret';
  process.env.AWS_ENDPOINT_URL_IAM = federation.moto.endpoint;
  process.env.AWS_ENDPOINT_URL_STS = federation.moto.endpoint;
});
afterAll(async () => {
  process.env = { ...saved };
  await federation.stop();
});
beforeEach(async () => {
  await federation.reset();
});

async function providerIn(account: string, thumbprint = federation.chain.intermediate.sha1): Promise<void> {
  const iam = iamInAccount(federation.moto, account);
  try {
    await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: federation.issuer.url,
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: [thumbprint],
      }),
    );
  } finally {
    iam.destroy();
  }
}

const verify = (...extra: string[]) =>
  cli([
    'verify',
    '--issuer',
    federation.issuer.url,
    '--ca-file',
    federation.chain.root.certPath,
    '--kubeconfig',
    federation.stand.kubeconfigPath,
    '--context',
    'reader',
    '--timeout',
    '5',
    '--account-role',
    roleOf(teamA),
    '--account-role',
    roleOf(data),
    ...extra,
  ]);

/** `ACCOUNT mark id` for each check line under an account heading. */
function accountLines(stdout: string): string[] {
  const lines: string[] = [];
  let account = '';
  for (const line of stdout.split('\n')) {
    const heading = /^account (\d{12}) \(as /.exec(line);
    if (heading) account = heading[1] ?? '';
    const check = /^ {2}([✓✗-]) (\w+)/.exec(line);
    if (check && account !== '') lines.push(`${account} ${check[1] ?? ''} ${check[2] ?? ''}`);
  }
  return lines;
}

describe('verify --account-role', () => {
  it('shows the provider, thumbprint and audience checks of every account; all pass: exit 0', async () => {
    await federation.createProvider();
    await providerIn(teamA);
    await providerIn(data);
    const result = await verify();
    expect(accountLines(result.stdout)).toEqual([
      `${teamA} ✓ provider`,
      `${teamA} ✓ thumbprint`,
      `${teamA} ✓ audience`,
      `${data} ✓ provider`,
      `${data} ✓ thumbprint`,
      `${data} ✓ audience`,
    ]);
    expect(result.stdout).toMatch(/^✓ provider/m);
    expect([result.code, result.stderr]).toEqual([0, '']);
  });

  it('an account without the provider is a ✗ there, with its fix; the others pass; exit 4', async () => {
    await federation.createProvider();
    await providerIn(teamA);
    const result = await verify('--output', 'text');
    expect(accountLines(result.stdout)).toEqual([
      `${teamA} ✓ provider`,
      `${teamA} ✓ thumbprint`,
      `${teamA} ✓ audience`,
      `${data} ✗ provider`,
      `${data} - thumbprint`,
      `${data} - audience`,
    ]);
    expect(result.stdout).toMatch(
      new RegExp(`fix: Create it: .*For this account, sync needs --account-role ${roleOf(data)} \\(chart value`),
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`${data}:provider`);
  });

  it("a stale thumbprint in one account is that account's ✗", async () => {
    await federation.createProvider();
    await providerIn(teamA, 'f'.repeat(40));
    await providerIn(data);
    const result = await verify('--no-home-account', '--output', 'json');
    const report = JSON.parse(result.stdout) as {
      checks: { id: string; status: string }[];
      accounts: { account: string; checks: { id: string; status: string }[] }[];
    };
    expect(report.checks.find((check) => check.id === 'provider')?.status).toBe('skipped');
    expect(report.accounts.map((account) => [account.account, account.checks.map((check) => check.status)])).toEqual([
      [teamA, ['passed', 'failed', 'passed']],
      [data, ['passed', 'passed', 'passed']],
    ]);
    expect(result.code).toBe(4);
  });

  it('sync --verify registers in every account, then checks each', async () => {
    const result = await cli([
      'sync',
      '--issuer',
      federation.issuer.url,
      '--target',
      `file://${federation.root}/clusters/prod`,
      '--kubeconfig',
      federation.stand.kubeconfigPath,
      '--context',
      'reader',
      '--thumbprint',
      federation.chain.intermediate.sha1,
      '--verify',
      '--ca-file',
      federation.chain.root.certPath,
      '--account-role',
      roleOf(teamA),
      '--account-role',
      roleOf(data),
    ]);
    expect(accountLines(result.stdout)).toEqual([
      `${teamA} ✓ provider`,
      `${teamA} ✓ thumbprint`,
      `${teamA} ✓ audience`,
      `${data} ✓ provider`,
      `${data} ✓ thumbprint`,
      `${data} ✓ audience`,
    ]);
    expect(result.code).toBe(0);
  });
});

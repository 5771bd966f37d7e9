/**
 * One issuer, three accounts, one run: the home account (the base credentials) and two reached by
 * sts:AssumeRole, all in one moto_server (see test/stand/accounts.ts for how moto tells them apart).
 * moto never checks a role's trust policy on AssumeRole; the registrar's trust is held as a golden
 * policy in registrar.test.ts instead.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseIssuer } from '../../src/issuer.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { createAccountRole, createHomeUser, homeAccountId, providerIn } from '../stand/accounts.js';
import { resetMoto, setMotoAuthentication, startMoto, type MotoServer } from '../stand/moto.js';
import { createBucket, motoS3Client, testRegion } from '../stand/s3.js';
import { cli } from '../cli/cli.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const issuer = `https://${bucket}.s3.${testRegion}.amazonaws.com/${prefix}`;
const { providerName } = parseIssuer(issuer);
const teamA = '222222222222';
const data = '333333333333';
const everyIam = [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] as const;

let moto: MotoServer;
let stand: ApiServerStand;
let roles: { teamA: string; data: string };
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  stand = await startApiServer({ issuer });
});
afterAll(async () => {
  await stand.stop();
  await moto.stop();
});
beforeEach(async () => {
  await setMotoAuthentication(moto, false);
  await resetMoto(moto);
  await createBucket(motoS3Client(moto), bucket);
  roles = {
    teamA: await createAccountRole(moto, teamA, 'irsa-issuer-registrar-prod', everyIam),
    data: await createAccountRole(moto, data, 'irsa-issuer-registrar-prod', everyIam),
  };
  process.env.AWS_ENDPOINT_URL_IAM = moto.endpoint;
  process.env.AWS_ENDPOINT_URL_STS = moto.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIRSAISSUERTESTKEY';
  process.env.AWS_SECRET_ACCESS_KEY = 'irsa-issuer-test-secret';
});
afterEach(async () => {
  await setMotoAuthentication(moto, false);
  process.env = { ...saved };
});

const sync = (...extra: string[]) =>
  cli([
    'sync',
    '--issuer',
    issuer,
    '--s3-endpoint',
    moto.endpoint,
    '--kubeconfig',
    stand.kubeconfigPath,
    '--context',
    'reader',
    '--thumbprint',
    'a'.repeat(40),
    '--account-role',
    roles.teamA,
    '--account-role',
    roles.data,
    ...extra,
  ]);

interface JsonReport {
  steps: { stage: string; account?: string; status: string; summary: string; changes: string[] }[];
  failure?: { stage: string; code: string; message: string };
}

const registerSteps = (stdout: string) =>
  (JSON.parse(stdout) as JsonReport).steps
    .filter((step) => step.stage === 'register')
    .map((step) => `${step.account ?? '-'}:${step.status}`);

describe('sync --account-role', () => {
  it('one run creates the provider in every account, with a register line for each', async () => {
    const result = await sync();
    expect([result.code, result.stderr]).toEqual([0, '']);
    for (const account of [homeAccountId, teamA, data]) {
      const provider = await providerIn(moto, account, providerName);
      expect(provider?.ThumbprintList, account).toEqual(['a'.repeat(40)]);
      expect(provider?.ClientIDList, account).toEqual(['sts.amazonaws.com']);
    }
    expect(result.stdout).toMatch(/~ register\s+account home: 1 change\(s\)/);
    expect(result.stdout).toMatch(
      new RegExp(`~ register\\s+account ${teamA}: 1 change\\(s\\) to arn:aws:iam::${teamA}:oidc-provider`),
    );
    expect(result.stdout).toMatch(new RegExp(`~ register\\s+account ${data}: 1 change\\(s\\)`));
  });

  it('a second run writes nothing in any account', async () => {
    expect((await sync()).code).toBe(0);
    const second = await sync('--output', 'json');
    expect(second.code).toBe(0);
    expect(registerSteps(second.stdout)).toEqual(['home:unchanged', `${teamA}:unchanged`, `${data}:unchanged`]);
    expect((JSON.parse(second.stdout) as { changed: boolean }).changed).toBe(false);
  });

  it('a thumbprint change updates the provider in every account', async () => {
    expect((await sync()).code).toBe(0);
    const rotated = 'b'.repeat(40);
    const result = await sync('--thumbprint', rotated, '--prune-thumbprints', '--output', 'json');
    // --thumbprint is repeatable: this run pins both the old value and the new one.
    expect(result.code).toBe(0);
    expect(registerSteps(result.stdout)).toEqual(['home:changed', `${teamA}:changed`, `${data}:changed`]);
    for (const account of [homeAccountId, teamA, data]) {
      expect((await providerIn(moto, account, providerName))?.ThumbprintList, account).toContain(rotated);
    }
  });

  it('sends an external ID given as ARN#EXTERNAL_ID, and never prints it', async () => {
    const externalId = 'ext-id-7f3a9c';
    const result = await cli(
      [
        'sync',
        '--issuer',
        issuer,
        '--s3-endpoint',
        moto.endpoint,
        '--kubeconfig',
        stand.kubeconfigPath,
        '--context',
        'reader',
        '--thumbprint',
        'a'.repeat(40),
        '--log-level',
        'debug',
        '--output',
        'json',
      ],
      { IRSA_ISSUER_ACCOUNT_ROLE: `${roles.teamA}#${externalId},${roles.data}` },
    );
    expect(result.code).toBe(0);
    expect(registerSteps(result.stdout)).toEqual(['home:changed', `${teamA}:changed`, `${data}:changed`]);
    expect(result.stdout + result.stderr).not.toContain(externalId);
  });

  it('a dry run plans every account and creates nothing', async () => {
    const result = await sync('--dry-run', '--output', 'json');
    expect(result.code).toBe(0);
    expect(registerSteps(result.stdout)).toEqual(['home:planned', `${teamA}:planned`, `${data}:planned`]);
    for (const account of [homeAccountId, teamA, data]) {
      expect(await providerIn(moto, account, providerName), account).toBeUndefined();
    }
  });

  it('--no-home-account leaves the base credentials’ account alone', async () => {
    const result = await sync('--no-home-account', '--output', 'json');
    expect(result.code).toBe(0);
    expect(registerSteps(result.stdout)).toEqual([`${teamA}:changed`, `${data}:changed`]);
    expect(await providerIn(moto, homeAccountId, providerName)).toBeUndefined();
    expect(await providerIn(moto, teamA, providerName)).toBeDefined();
  });

  it('one account denying iam:CreateOpenIDConnectProvider fails only there; the report says so; exit 1', async () => {
    await setMotoAuthentication(moto, false);
    await resetMoto(moto);
    await createBucket(motoS3Client(moto), bucket);
    roles = {
      teamA: await createAccountRole(moto, teamA, 'irsa-issuer-registrar-prod', everyIam),
      data: await createAccountRole(moto, data, 'irsa-issuer-registrar-prod', [
        ...everyIam,
        { Effect: 'Deny', Action: 'iam:CreateOpenIDConnectProvider', Resource: '*' },
      ]),
    };
    const base = await createHomeUser(moto, 'publisher', [
      { Effect: 'Allow', Action: ['s3:*', 'iam:*', 'sts:AssumeRole'], Resource: '*' },
    ]);
    process.env.AWS_ACCESS_KEY_ID = base.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = base.secretAccessKey;
    await setMotoAuthentication(moto, true);

    const result = await sync();
    await setMotoAuthentication(moto, false);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/~ register\s+account home: 1 change\(s\)/);
    expect(result.stdout).toMatch(new RegExp(`~ register\\s+account ${teamA}: 1 change\\(s\\)`));
    expect(result.stdout).toMatch(
      new RegExp(`✗ register\\s+account ${data}: iam:CreateOpenIDConnectProvider .*AccessDenied`),
    );
    expect(result.stderr).toContain(`failed in 1 of 3 accounts (${data})`);
    expect(await providerIn(moto, homeAccountId, providerName)).toBeDefined();
    expect(await providerIn(moto, teamA, providerName)).toBeDefined();
    expect(await providerIn(moto, data, providerName)).toBeUndefined();
  });
});

describe('--account-role, bad input', () => {
  it.each([
    [['--account-role', 'arn:aws:iam::22222:role/x'], /not a role ARN/],
    [
      ['--account-role', `arn:aws:iam::${teamA}:role/a`, '--account-role', `arn:aws:iam::${teamA}:role/b`],
      /two roles in account/,
    ],
    [['--account-role', `arn:aws-cn:iam::${teamA}:role/a`], /partition aws-cn/],
    [['--account-role', `arn:aws:iam::${teamA}:role/a#x`], /external ID/],
    [['--no-home-account'], /leaves no account/],
    [['--no-register', '--account-role', `arn:aws:iam::${teamA}:role/a`], /--no-register keeps/],
  ])('%j is a usage error before any request', async (flags, message) => {
    const result = await cli(['sync', '--issuer', issuer, '--public-key-file', '/nonexistent.pem', ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

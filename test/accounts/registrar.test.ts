/**
 * The registrar role each --account-role names. moto never checks a trust policy on AssumeRole and
 * matches IAM statements only when their Resource is "*" (design.md, "Permissions"), so what the
 * role may do and who may assume it are held here as golden documents; moto proves the role is
 * created once, kept, refused when foreign, and that a sync gets in through it.
 */
import { readFile } from 'node:fs/promises';
import { GetRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ensureRegistrarRole,
  registrarProviderActions,
  registrarRole,
  registrarRoleName,
  type RegistrarSpec,
} from '../../src/bootstrap/index.js';
import { UnmanagedResourceError } from '../../src/errors.js';
import { providerIamActions } from '../../src/iam/failure.js';
import { parseIssuer } from '../../src/issuer.js';
import { homeAccountId, iamInAccount, providerIn } from '../stand/accounts.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { createBucket, motoS3Client, testRegion } from '../stand/s3.js';
import { cli } from '../cli/cli.js';

const issuer = parseIssuer(`https://acme-oidc.s3.${testRegion}.amazonaws.com/clusters/prod`);
const spec: RegistrarSpec = {
  issuer,
  clusterName: 'prod',
  account: '222222222222',
  partition: 'aws',
  publisherRoleArn: 'arn:aws:iam::111122223333:role/irsa-issuer-prod',
  externalId: 'prod-cluster',
};
const golden = async (name: string): Promise<unknown> =>
  JSON.parse(await readFile(`test/accounts/golden/${name}.json`, 'utf8')) as unknown;

describe('the registrar role, as documents', () => {
  it('trusts only the publisher role, with the external ID', async () => {
    expect(registrarRole(spec).trustPolicy).toEqual(await golden('registrar-trust'));
  });

  it('without an external ID, the trust has no condition', () => {
    const { issuer: i, clusterName, account, partition, publisherRoleArn } = spec;
    const plain: RegistrarSpec = { issuer: i, clusterName, account, partition, publisherRoleArn };
    const [statement] = registrarRole(plain).trustPolicy.Statement;
    expect(statement).not.toHaveProperty('Condition');
    expect(registrarRole(plain).accountRole).toBe('arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod');
  });

  it("may keep this issuer's provider in its account, and find it; nothing else", async () => {
    expect(registrarRole(spec).permissions).toEqual(await golden('registrar-permissions'));
  });

  it('grants every IAM action the register stage calls, and no other', () => {
    const granted = [...registrarProviderActions, 'iam:ListOpenIDConnectProviders'].sort();
    expect(granted).toEqual(providerIamActions.map((action) => `iam:${action}`).sort());
  });

  it('uses the partition of the region in both ARNs', () => {
    const china = registrarRole({ ...spec, partition: 'aws-cn' });
    expect(china.roleArn).toBe('arn:aws-cn:iam::222222222222:role/irsa-issuer-registrar-prod');
    expect(JSON.stringify(china.permissions)).toContain('arn:aws-cn:iam::222222222222:oidc-provider/');
  });

  it("is named irsa-issuer-registrar-CLUSTER, cut to IAM's 64 characters", () => {
    expect(registrarRoleName('prod')).toBe('irsa-issuer-registrar-prod');
    expect(registrarRoleName('c'.repeat(80))).toHaveLength(64);
    expect(registrarRole(spec).accountRole).toBe(
      'arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod#prod-cluster',
    );
  });

  it('carries the bootstrap contract tags', () => {
    expect(registrarRole(spec).tags).toEqual({
      'irsa-issuer/managed-by': 'irsa-issuer',
      'irsa-issuer/cluster': 'prod',
      'irsa-issuer/issuer': issuer.url,
    });
  });
});

let moto: MotoServer;
let stand: ApiServerStand;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  stand = await startApiServer({ issuer: issuer.url });
});
afterAll(async () => {
  await stand.stop();
  await moto.stop();
});
beforeEach(async () => {
  await resetMoto(moto);
});
afterEach(() => {
  process.env = { ...saved };
});

describe('creating the registrar role (moto)', () => {
  it('creates it tagged, with both documents; a second call writes nothing', async () => {
    const iam = iamInAccount(moto, spec.account);
    const first = await ensureRegistrarRole(iam, spec, { dryRun: false });
    expect(first.status).toBe('created');
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'irsa-issuer-registrar-prod' }));
    expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? ''))).toEqual(
      await golden('registrar-trust'),
    );
    expect(Role?.Tags).toEqual(expect.arrayContaining([{ Key: 'irsa-issuer/managed-by', Value: 'irsa-issuer' }]));
    const inline = await iam.send(
      new GetRolePolicyCommand({ RoleName: 'irsa-issuer-registrar-prod', PolicyName: 'irsa-issuer-registrar' }),
    );
    expect(JSON.parse(decodeURIComponent(inline.PolicyDocument ?? ''))).toEqual(await golden('registrar-permissions'));
    expect(await ensureRegistrarRole(iam, spec, { dryRun: false })).toMatchObject({ status: 'unchanged', changes: [] });
  });

  it('a dry run plans and creates nothing', async () => {
    const iam = iamInAccount(moto, spec.account);
    expect((await ensureRegistrarRole(iam, spec, { dryRun: true })).status).toBe('planned');
    await expect(iam.send(new GetRoleCommand({ RoleName: 'irsa-issuer-registrar-prod' }))).rejects.toThrow();
  });

  it('puts a drifted policy back', async () => {
    const iam = iamInAccount(moto, spec.account);
    await ensureRegistrarRole(iam, spec, { dryRun: false });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'irsa-issuer-registrar-prod',
        PolicyName: 'irsa-issuer-registrar',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
        }),
      }),
    );
    const again = await ensureRegistrarRole(iam, spec, { dryRun: false });
    expect(again).toMatchObject({ status: 'changed', changes: ['inline policy irsa-issuer-registrar: replace'] });
  });

  it("refuses a role of the same name that is not irsa-issuer's for this issuer, and leaves it alone", async () => {
    const iam = iamInAccount(moto, spec.account);
    await iam.send(
      new CreateRoleCommand({ RoleName: 'irsa-issuer-registrar-prod', AssumeRolePolicyDocument: '{"Statement":[]}' }),
    );
    await expect(ensureRegistrarRole(iam, spec, { dryRun: false })).rejects.toThrow(UnmanagedResourceError);
  });

  it('the next sync gets into the account through the role it created', async () => {
    // With moto's permission checks off: moto would deny the registrar's provider-scoped statement
    // (it matches IAM statements only on Resource "*"), and it never checks the trust policy.
    const created = await ensureRegistrarRole(iamInAccount(moto, spec.account), spec, { dryRun: false });
    await createBucket(motoS3Client(moto), 'acme-oidc');
    process.env.AWS_ENDPOINT_URL_IAM = moto.endpoint;
    process.env.AWS_ENDPOINT_URL_STS = moto.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'AKIAIRSAISSUERTESTKEY';
    process.env.AWS_SECRET_ACCESS_KEY = 'irsa-issuer-test-secret';
    const result = await cli([
      'sync',
      '--issuer',
      issuer.url,
      '--s3-endpoint',
      moto.endpoint,
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'reader',
      '--thumbprint',
      'a'.repeat(40),
      '--no-home-account',
      '--account-role',
      registrarRole(spec).accountRole,
    ]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(created.roleArn).toBe('arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod');
    expect(await providerIn(moto, spec.account, issuer.providerName)).toBeDefined();
    expect(await providerIn(moto, homeAccountId, issuer.providerName)).toBeUndefined();
  });
});

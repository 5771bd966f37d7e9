/**
 * The policy users attach is the one in docs/iam-policy.md: a user holding exactly it (read from the
 * doc) publishes, registers and re-runs under moto's permission checks, and a user lacking one of
 * its actions is told which. moto matches IAM statements only when their Resource is "*" (design:
 * "Permissions"), so the IAM statements are widened to "*" here; that the doc scopes them to the
 * provider's ARN is what policy-doc.test.ts and the doc itself hold.
 */
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseIssuer } from '../../src/issuer.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { resetMoto, setMotoAuthentication, startMoto, type MotoServer } from '../stand/moto.js';
import { anyCredentials, createBucket, motoS3Client, testRegion } from '../stand/s3.js';
import { cli } from './cli.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const issuer = `https://${bucket}.s3.${testRegion}.amazonaws.com/${prefix}`;

interface Statement {
  Action: string | string[];
  Resource: string | string[];
}

async function documentedPolicy(without?: string): Promise<{ Version: string; Statement: Statement[] }> {
  const doc = await readFile('docs/iam-policy.md', 'utf8');
  const json = (/```json\n([\s\S]*?)```/.exec(doc)?.[1] ?? '')
    .replaceAll('ACCOUNT', '123456789012')
    .replaceAll('BUCKET', bucket)
    .replaceAll('PREFIX', prefix)
    .replaceAll('HOST/PATH', parseIssuer(issuer).providerName);
  const policy = JSON.parse(json) as { Version: string; Statement: Statement[] };
  for (const statement of policy.Statement) {
    const actions = [statement.Action].flat().filter((action) => action !== without);
    statement.Action = actions;
    if (actions.some((action) => action.startsWith('iam:'))) statement.Resource = '*';
  }
  policy.Statement = policy.Statement.filter((statement) => statement.Action.length > 0);
  return policy;
}

let moto: MotoServer;
let stand: ApiServerStand;
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
  process.env.AWS_ENDPOINT_URL_IAM = moto.endpoint;
});
afterEach(async () => {
  await setMotoAuthentication(moto, false);
  process.env = { ...saved };
});

/** A moto user holding the policy, as the environment of the next CLI runs; then checks switch on. */
async function actAs(policy: object): Promise<void> {
  const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: anyCredentials });
  try {
    await iam.send(new CreateUserCommand({ UserName: 'publisher' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'publisher',
        PolicyName: 'documented',
        PolicyDocument: JSON.stringify(policy),
      }),
    );
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'publisher' }));
    process.env.AWS_ACCESS_KEY_ID = AccessKey?.AccessKeyId ?? '';
    process.env.AWS_SECRET_ACCESS_KEY = AccessKey?.SecretAccessKey ?? '';
  } finally {
    iam.destroy();
  }
  await setMotoAuthentication(moto, true);
}

const sync = () =>
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
    '--tag',
    'cluster=prod',
  ]);

describe('the policy in docs/iam-policy.md, under moto permission checks', () => {
  it('is enough to publish, register and run again', async () => {
    await actAs(await documentedPolicy());
    const first = await sync();
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toMatch(/~ register\s+1 change\(s\)/);
    const second = await sync();
    expect([second.code, second.stderr]).toEqual([0, '']);
    expect(second.stdout).toMatch(/nothing written/);
  });

  it.each(['s3:PutObject', 's3:GetObject', 'iam:CreateOpenIDConnectProvider', 'iam:ListOpenIDConnectProviders'])(
    'without %s, the run fails naming it',
    async (action) => {
      await actAs(await documentedPolicy(action));
      const result = await sync();
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(action);
    },
  );
});

/**
 * A user holding the teardown policy of docs/iam-policy.md without one of its IAM actions is told
 * which, under moto's permission checks. moto matches IAM statements only when their Resource is "*"
 * (design: "Permissions"), so the IAM statements are widened here, as in
 * test/cli/documented-policy.test.ts. What this cannot cover: moto 5.2 (the one here) rejects the
 * signature of any signed S3 request whose query holds a "/" (a ListObjectVersions Prefix such as
 * clusters/prod/openid/v1/jwks; the SDK's %2F is correct SigV4), so a full run under permission
 * checks fails at the first S3 listing. That the policy grants exactly the actions the code calls
 * is test/iam/policy-doc.test.ts's golden check.
 */
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { teardownIamActions } from '../../src/bootstrap/teardown-failure.js';
import { providerIamReadActions } from '../../src/iam/failure.js';
import { cli } from '../cli/cli.js';
import { motoIamClient } from '../stand/iam.js';
import { resetMoto, setMotoAuthentication, startMoto, type MotoServer } from '../stand/moto.js';
import { motoS3Client, testRegion } from '../stand/s3.js';
import {
  accountState,
  bootstrapIssuer,
  createBucketAsBootstrap,
  seedBootstrapState,
  seedBystanders,
  type Aws,
} from './teardown-seed.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const issuer = bootstrapIssuer(bucket, prefix);

interface Statement {
  Action: string | string[];
  Resource: string | string[];
}

/** The JSON block under the doc's "## teardown" heading. */
async function teardownBlock(): Promise<string> {
  const doc = await readFile('docs/iam-policy.md', 'utf8');
  const section = doc.split(/^## teardown$/m)[1] ?? '';
  return /```json\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
}

/** Every `XCommand` that teardown's own files import from the S3 and IAM clients, as `s3:X` / `iam:X`. */
async function teardownCalls(): Promise<Set<string>> {
  const calls = new Set<string>();
  for (const name of (await readdir('src/bootstrap')).filter((file) => file.startsWith('teardown'))) {
    const text = await readFile(join('src/bootstrap', name), 'utf8');
    for (const [, names, service] of text.matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-(s3|iam)'/g)) {
      for (const imported of (names ?? '').split(',').map((part) => part.trim())) {
        const command = /^(\w+)Command$/.exec(imported)?.[1];
        if (command !== undefined) calls.add(`${service ?? ''}:${command}`);
      }
    }
  }
  return calls;
}

/** The doc's teardown policy, filled in, without one action if asked. */
async function teardownPolicy(without?: string): Promise<object> {
  const block = await teardownBlock();
  const policy = JSON.parse(
    block
      .replaceAll('ACCOUNT', '123456789012')
      .replaceAll('BUCKET', bucket)
      .replaceAll('PREFIX', prefix)
      .replaceAll('HOST/PATH', issuer.providerName)
      .replaceAll('role/ROLE', 'role/irsa-issuer-prod'),
  ) as { Statement: Statement[] };
  for (const statement of policy.Statement) {
    statement.Action = [statement.Action].flat().filter((action) => action !== without);
    if (statement.Action.some((action) => action.startsWith('iam:'))) statement.Resource = '*';
  }
  policy.Statement = policy.Statement.filter((statement) => statement.Action.length > 0);
  return policy;
}

let moto: MotoServer;
let aws: Aws;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto.stop();
});
beforeEach(async () => {
  await setMotoAuthentication(moto, false);
  await resetMoto(moto);
  aws = { s3: motoS3Client(moto), iam: await motoIamClient(moto) };
  process.env.AWS_ENDPOINT_URL_IAM = moto.endpoint;
  await seedBystanders(aws);
  await createBucketAsBootstrap(aws, bucket, issuer, 'prod');
  await seedBootstrapState(aws, bucket, prefix);
});
afterEach(async () => {
  await setMotoAuthentication(moto, false);
  aws.s3.destroy();
  aws.iam.destroy();
  process.env = { ...saved };
});

/** A moto user holding the policy becomes the CLI's credentials; then checks switch on. */
async function actAs(policy: object): Promise<void> {
  await aws.iam.send(new CreateUserCommand({ UserName: 'admin' }));
  await aws.iam.send(
    new PutUserPolicyCommand({ UserName: 'admin', PolicyName: 'teardown', PolicyDocument: JSON.stringify(policy) }),
  );
  const { AccessKey } = await aws.iam.send(new CreateAccessKeyCommand({ UserName: 'admin' }));
  process.env.AWS_ACCESS_KEY_ID = AccessKey?.AccessKeyId ?? '';
  process.env.AWS_SECRET_ACCESS_KEY = AccessKey?.SecretAccessKey ?? '';
  await setMotoAuthentication(moto, true);
}

const teardown = (...extra: string[]) =>
  cli([
    'teardown',
    '--bucket',
    bucket,
    '--region',
    testRegion,
    '--prefix',
    prefix,
    '--s3-endpoint',
    moto.endpoint,
    ...extra,
  ]);

describe('the teardown policy in docs/iam-policy.md', () => {
  it('grants exactly the actions teardown calls', async () => {
    const policy = JSON.parse(await teardownBlock()) as { Statement: Statement[] };
    const granted = policy.Statement.flatMap((statement) => [statement.Action].flat()).sort();
    // DeleteObjects with VersionIds is authorised as s3:DeleteObjectVersion, ListObjectVersions as
    // s3:ListBucketVersions; the discovery document is read through sync's S3Store (GetObject, and
    // ListBucket to tell a missing object from a forbidden one); the provider through iam's readProvider.
    const renamed: Record<string, string> = {
      's3:DeleteObjects': 's3:DeleteObjectVersion',
      's3:ListObjectVersions': 's3:ListBucketVersions',
    };
    const called = new Set([...(await teardownCalls())].map((call) => renamed[call] ?? call));
    for (const action of ['s3:GetObject', 's3:ListBucket', ...providerIamReadActions.map((read) => `iam:${read}`)]) {
      called.add(action);
    }
    expect(granted).toEqual([...called].sort());
    expect(teardownIamActions.map((action) => `iam:${action}`).sort()).toEqual(
      granted.filter((action) => action.startsWith('iam:')),
    );
  });
});

describe('the teardown policy in docs/iam-policy.md, under moto permission checks', () => {
  it.each(['iam:GetRole', 'iam:ListOpenIDConnectProviderTags', 'iam:ListRoles'])(
    'without %s, the plan fails naming it and deletes nothing',
    async (action) => {
      const before = await accountState(aws);
      await actAs(await teardownPolicy(action));
      const result = await teardown('--yes');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(action);
      await setMotoAuthentication(moto, false);
      expect(await accountState(aws)).toEqual(before);
    },
  );
});

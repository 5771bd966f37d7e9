/**
 * `irsa-issuer teardown` against moto: it removes what bootstrap made for one issuer (seeded by
 * hand from the contract, see teardown-seed.ts) and nothing else, plans without --yes, refuses
 * (deleting nothing) what is not its own or still in use, and a second run has nothing to do.
 */
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  UntagOpenIDConnectProviderCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { DeleteObjectsCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../cli/cli.js';
import { motoIamClient } from '../stand/iam.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { anyCredentials, motoS3Client, testRegion } from '../stand/s3.js';
import {
  accountState,
  bootstrapIssuer,
  createBucketAsBootstrap,
  createPlainBucket,
  otherStatement,
  putPolicy,
  seedBootstrapState,
  seedBystanders,
  trustPolicy,
  type Aws,
} from './teardown-seed.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const issuer = bootstrapIssuer(bucket, prefix);

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
  await resetMoto(moto);
  aws = { s3: motoS3Client(moto), iam: await motoIamClient(moto) };
  // The CLI builds its own clients: IAM from the SDK's environment, S3 from --s3-endpoint.
  process.env.AWS_ENDPOINT_URL_IAM = moto.endpoint;
  process.env.AWS_ACCESS_KEY_ID = anyCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = anyCredentials.secretAccessKey;
});
afterEach(() => {
  aws.s3.destroy();
  aws.iam.destroy();
  process.env = { ...saved };
});

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

/** A bucket someone already had (with a statement of their own and an object), and bystanders. */
async function existingBucketWorld(): Promise<void> {
  await createPlainBucket(aws, bucket);
  await putPolicy(aws, bucket, [{ ...otherStatement, Resource: `arn:aws:s3:::${bucket}/logs/*` }]);
  await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'logs/2026-11-26.log', Body: 'kept' }));
  await seedBystanders(aws);
}

async function createRole(iam: IAMClient, name: string, trust: string, tags = {}): Promise<void> {
  await iam.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: trust,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value: String(Value) })),
    }),
  );
}

async function emptyOf(s3: S3Client, key: string): Promise<void> {
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const objects = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((version) => ({
    Key: version.Key ?? '',
    VersionId: version.VersionId ?? '',
  }));
  await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
}

describe('teardown of what bootstrap made in a bucket that was already there', () => {
  it('without --yes prints the plan and changes nothing', async () => {
    await existingBucketWorld();
    await seedBootstrapState(aws, bucket, prefix);
    const seeded = await accountState(aws);

    const result = await teardown();
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain(`Teardown plan for issuer ${issuer.url}`);
    expect(result.stdout).toMatch(/delete\s+role\s+arn:aws:iam::123456789012:role\/irsa-issuer-prod/);
    expect(result.stdout).toMatch(/delete\s+objects\s+s3:\/\/acme-oidc\/clusters\/prod\/openid\/v1\/jwks: 2 versions/);
    expect(result.stdout).toMatch(/statement IrsaIssuerPublicRead[0-9a-f]{12}; the 1 other statement stays/);
    expect(result.stdout).toContain('Plan only: nothing was changed.');
    expect(await accountState(aws)).toEqual(seeded);

    const json = await teardown('--output', 'json');
    const plan = JSON.parse(json.stdout) as { applied: boolean; items: { kind: string; action: string }[] };
    expect(plan.applied).toBe(false);
    expect(plan.items.map((item) => `${item.kind}:${item.action}`)).toEqual([
      'role:delete',
      'provider:delete',
      'objects:delete',
      'objects:delete',
      'objects:absent',
      'bucket-policy:delete',
      'bucket:keep',
    ]);
    expect(await accountState(aws)).toEqual(seeded);
  });

  it('with --yes leaves the account and bucket exactly as they were before bootstrap; a second run has nothing to do', async () => {
    await existingBucketWorld();
    const before = await accountState(aws);
    await seedBootstrapState(aws, bucket, prefix);
    expect(await accountState(aws)).not.toEqual(before);

    const result = await teardown('--yes');
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toMatch(/deleted\s+provider/);
    expect(result.stdout).toContain('Done: everything above marked "deleted" is gone.');
    expect(await accountState(aws)).toEqual(before);

    const again = await teardown('--yes');
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toContain('Nothing to do');
  });

  it('deletes the bucket policy when our statement was its only one, and the exposed-kids record too', async () => {
    await createPlainBucket(aws, bucket);
    const before = await accountState(aws);
    await seedBootstrapState(aws, bucket, prefix);
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/openid/v1/exposed-kids`, Body: '{}' }));
    // Not ours although it shares the prefix: a listing by key prefix finds it beside the JWKS.
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/openid/v1/jwks-backup`, Body: '{}' }));
    const result = await teardown('--yes');
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('the only one: the bucket policy is deleted');
    const after = (await accountState(aws)) as { buckets: { policy: unknown; versions: string[] }[] };
    expect(after.buckets[0]?.policy).toBeNull();
    expect(after.buckets[0]?.versions.map((version) => version.split('@')[0])).toEqual([
      `${prefix}/openid/v1/jwks-backup`,
    ]);
    expect(before).toMatchObject({ buckets: [{ policy: null, versions: [] }] });
  });
});

describe('teardown refuses, and deletes nothing', () => {
  it('while another role trusts the provider, naming it; --force deletes the provider and keeps that role', async () => {
    await existingBucketWorld();
    const seeded = await seedBootstrapState(aws, bucket, prefix);
    await createRole(
      aws.iam,
      'app-reader',
      trustPolicy(seeded.providerArn, issuer.providerName, 'system:serviceaccount:app:reader'),
    );
    const state = await accountState(aws);

    const refused = await teardown('--yes');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('is still trusted by role app-reader');
    expect(refused.stderr).toContain('Delete or re-point them first, or pass --force');
    expect(refused.stdout).toContain('Refused: nothing was deleted.');
    expect(await accountState(aws)).toEqual(state);

    const forced = await teardown('--yes', '--force');
    expect([forced.code, forced.stderr]).toEqual([0, '']);
    expect(forced.stdout).toContain('--force: the provider is deleted although app-reader trusts it');
    const after = (await accountState(aws)) as { roles: { name: string }[]; providers: { arn: string }[] };
    expect(after.roles.map((role) => role.name)).toEqual(['app-reader', 'ci-deployer']);
    expect(after.providers.map((provider) => provider.arn)).not.toContain(seeded.providerArn);
  });

  it('a role with the publisher name that bootstrap did not make', async () => {
    await existingBucketWorld();
    await createRole(aws.iam, 'irsa-issuer-prod', JSON.stringify({ Version: '2012-10-17', Statement: [] }), {
      team: 'platform',
    });
    const state = await accountState(aws);
    const result = await teardown('--yes');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('The role irsa-issuer-prod exists but was not made by bootstrap');
    expect(result.stderr).toContain('team=platform');
    expect(await accountState(aws)).toEqual(state);
  });

  it('a provider for this issuer without our tags (made by sync, say)', async () => {
    await existingBucketWorld();
    const seeded = await seedBootstrapState(aws, bucket, prefix);

    await aws.iam.send(
      new UntagOpenIDConnectProviderCommand({
        OpenIDConnectProviderArn: seeded.providerArn,
        TagKeys: ['irsa-issuer/managed-by'],
      }),
    );
    const state = await accountState(aws);
    const result = await teardown('--yes');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`The OIDC provider ${seeded.providerArn} exists but was not made`);
    expect(await accountState(aws)).toEqual(state);
  });

  it('documents under the prefix that name another issuer (published through CloudFront)', async () => {
    await existingBucketWorld();
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}/.well-known/openid-configuration`,
        Body: JSON.stringify({ issuer: 'https://oidc.example.com/prod' }),
      }),
    );
    const state = await accountState(aws);
    const result = await teardown('--yes');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('names the issuer https://oidc.example.com/prod');
    expect(await accountState(aws)).toEqual(state);
  });
});

describe('teardown that fails half-way', () => {
  it('says what it deleted and where it stopped, having touched nothing after it (the role goes first)', async () => {
    await existingBucketWorld();
    const seeded = await seedBootstrapState(aws, bucket, prefix);
    // Something bootstrap never does: IAM will not delete a role that is in an instance profile.
    await aws.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'hand-made' }));
    await aws.iam.send(
      new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'hand-made', RoleName: seeded.roleName }),
    );
    const result = await teardown('--yes', '--output', 'json');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('iam:DeleteRole on the role irsa-issuer-prod failed');
    expect(result.stderr).toContain('instance profile');
    const report = JSON.parse(result.stdout) as {
      failure: { resource: string };
      items: { kind: string; deleted?: boolean }[];
    };
    expect(report.failure.resource).toBe(`arn:aws:iam::123456789012:role/${seeded.roleName}`);
    expect(report.items.filter((item) => item.deleted === true)).toEqual([]);
    const after = (await accountState(aws)) as { providers: { arn: string }[]; buckets: { versions: string[] }[] };
    expect(after.providers.map((provider) => provider.arn)).toContain(seeded.providerArn);
    expect(after.buckets[0]?.versions).toHaveLength(5);
  });
});

describe('teardown --delete-bucket', () => {
  it('is refused while other versions remain or the provider remains, and deletes the bucket after', async () => {
    await seedBystanders(aws);
    const before = await accountState(aws);
    await createBucketAsBootstrap(aws, bucket, issuer, 'prod');
    const seeded = await seedBootstrapState(aws, bucket, prefix);
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'notes/readme.txt', Body: 'someone else' }));
    await createRole(
      aws.iam,
      'app-reader',
      trustPolicy(seeded.providerArn, issuer.providerName, 'system:serviceaccount:app:reader'),
    );
    const state = await accountState(aws);

    const refused = await teardown('--yes', '--delete-bucket');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('it holds 1 other object version or delete marker (notes/readme.txt)');
    expect(refused.stderr).toContain(`the IAM OIDC provider for ${issuer.url} remains`);
    expect(refused.stderr).toContain('app-reader');
    expect(await accountState(aws)).toEqual(state);

    await emptyOf(aws.s3, 'notes/');
    await aws.iam.send(new DeleteRoleCommand({ RoleName: 'app-reader' }));
    const done = await teardown('--yes', '--delete-bucket');
    expect([done.code, done.stderr]).toEqual([0, '']);
    expect(done.stdout).toMatch(/deleted\s+bucket\s+s3:\/\/acme-oidc/);
    expect(done.stdout).toContain('frees its name: anyone can create a bucket with it');
    expect(await accountState(aws)).toEqual(before);

    const again = await teardown('--yes', '--delete-bucket');
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toContain('Nothing to do');
  });

  it('is refused for a bucket bootstrap did not create (no managed-by tag)', async () => {
    await existingBucketWorld();
    await seedBootstrapState(aws, bucket, prefix);
    const state = await accountState(aws);
    const result = await teardown('--yes', '--delete-bucket');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('it does not carry the tag irsa-issuer/managed-by=irsa-issuer');
    expect(await accountState(aws)).toEqual(state);
  });
});

describe('teardown flags', () => {
  it('needs the bucket and its region (exit 2, no request made)', async () => {
    const result = await cli(['teardown', '--bucket', bucket]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--bucket B --region R');
  });

  it('takes the prefix with or without slashes, as bootstrap does, and refuses a role name IAM would', async () => {
    await existingBucketWorld();
    await seedBootstrapState(aws, bucket, prefix);
    const slashed = await cli([
      'teardown',
      '--bucket',
      bucket,
      '--region',
      testRegion,
      '--prefix',
      `/${prefix}/`,
      '--s3-endpoint',
      moto.endpoint,
    ]);
    expect([slashed.code, slashed.stderr]).toEqual([0, '']);
    expect(slashed.stdout).toMatch(/delete\s+provider/);
    const badRole = await teardown('--cluster-name', 'prod~1');
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('"irsa-issuer-prod~1" is not one IAM accepts');
  });

  it('takes them from IRSA_ISSUER_* too, and refuses a region that is not one', async () => {
    const result = await cli(['teardown'], { IRSA_ISSUER_BUCKET: bucket, IRSA_ISSUER_REGION: 'Europe' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--region "Europe" is not an AWS region name');
  });
});

/**
 * bootstrap against the real parts: moto (S3, S3 Control, IAM, STS), a TLS host in front of the
 * bucket as the issuer's host, and the API server stand. moto enforces a bucket policy on unsigned
 * reads, so "anyone can read the documents, nothing else" is checked with anonymous GETs; it does
 * not enforce Block Public Access or trust policies, so those are checked as the documents written
 * (golden files with the host and port replaced by HOST/PATH).
 */
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  ListOpenIDConnectProviderTagsCommand,
  ListRoleTagsCommand,
  CreateRoleCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { PutPublicAccessBlockCommand as PutAccountPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { providerArn, publicReadSid } from '../../src/bootstrap/index.js';
import { ExitCode, type IrsaIssuerError } from '../../src/errors.js';
import { parseIssuer } from '../../src/issuer.js';
import { writeCommands } from '../stand/iam.js';
import { resetMoto } from '../stand/moto.js';
import { anonymousGet, anyCredentials, createBucket, motoS3Client } from '../stand/s3.js';
import { createS3Client } from '../../src/publish/s3.js';
import {
  account,
  bucket,
  clientsFor,
  otherAccountCredentials,
  prefix,
  runBootstrap,
  startWorld,
  stopWorld,
  type Clients,
  type World,
} from './world.js';

let world: World;
let clients: Clients;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await stopWorld(world);
});
beforeEach(async () => {
  await resetMoto(world.moto);
  world.stand.reset();
  clients = await clientsFor(world);
});

/** A policy document with this run's host and port replaced, to compare with a golden file. */
function portable(document: unknown): unknown {
  const name = parseIssuer(world.issuerUrl).providerName;
  return JSON.parse(JSON.stringify(document).replaceAll(name, 'HOST/PATH')) as unknown;
}

async function golden(file: string): Promise<unknown> {
  return JSON.parse(await readFile(join(import.meta.dirname, 'golden', file), 'utf8')) as unknown;
}

async function bucketPolicy(): Promise<{ Statement: { Sid?: string }[] }> {
  const { Policy } = await clients.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
  return JSON.parse(Policy ?? '{}') as { Statement: { Sid?: string }[] };
}

async function refusal(promise: Promise<unknown>): Promise<IrsaIssuerError> {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as IrsaIssuerError | undefined;
  if (error === undefined) throw new Error('bootstrap did not refuse');
  return error;
}

async function bucketExists(): Promise<boolean> {
  return clients.s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    () => false,
  );
}

const sid = publicReadSid(prefix);
const s3Writes = () =>
  clients.s3Requests.filter((request) => !/^(Get|Head|List)/.test(request.command)).map((request) => request.command);

describe('bootstrap from an empty account', () => {
  it('creates the bucket, publishes, registers, makes the publisher role, and verifies', async () => {
    const report = await runBootstrap(world, clients);

    expect(report.sync.verification?.ok).toBe(true);
    expect(
      (await clients.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }))).OwnershipControls?.Rules,
    ).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect((await clients.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    expect(
      (await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
    expect(await bucketPolicy()).toEqual(await golden('bucket-policy.json'));

    // What a stranger (STS) gets: both documents, and nothing else in the bucket.
    for (const key of ['.well-known/openid-configuration', 'openid/v1/jwks']) {
      expect((await anonymousGet(world.moto, bucket, `${prefix}/${key}`)).status).toBe(200);
    }
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/private.txt`, Body: 'secret' }));
    expect((await anonymousGet(world.moto, bucket, `${prefix}/private.txt`)).status).toBe(403);
    // The exposed-kids record lives beside the documents but is not public.
    await clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/openid/v1/exposed-kids`, Body: '[]' }),
    );
    expect((await anonymousGet(world.moto, bucket, `${prefix}/openid/v1/exposed-kids`)).status).toBe(403);

    const arn = providerArn('aws', account, parseIssuer(world.issuerUrl));
    const { Tags } = await clients.iam.send(
      new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn }),
    );
    expect(Object.fromEntries((Tags ?? []).map((tag) => [tag.Key, tag.Value]))).toEqual({
      'irsa-issuer/managed-by': 'irsa-issuer',
      'irsa-issuer/cluster': 'prod',
      'irsa-issuer/issuer': world.issuerUrl,
    });

    const role = await clients.iam.send(new GetRoleCommand({ RoleName: 'irsa-issuer-prod' }));
    expect(report.role.arn).toBe(`arn:aws:iam::${account}:role/irsa-issuer-prod`);
    expect(portable(JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '')))).toEqual(
      await golden('publisher-trust.json'),
    );
    const inline = await clients.iam.send(
      new GetRolePolicyCommand({ RoleName: 'irsa-issuer-prod', PolicyName: 'irsa-issuer-publisher' }),
    );
    expect(portable(JSON.parse(decodeURIComponent(inline.PolicyDocument ?? '')))).toEqual(
      await golden('publisher-policy.json'),
    );
    const roleTags = await clients.iam.send(new ListRoleTagsCommand({ RoleName: 'irsa-issuer-prod' }));
    expect(roleTags.Tags).toContainEqual({ Key: 'irsa-issuer/issuer', Value: world.issuerUrl });

    expect(report.next.apiServerFlags).toEqual([
      `--service-account-issuer=${world.issuerUrl}`,
      `--service-account-jwks-uri=${world.issuerUrl}/openid/v1/jwks`,
    ]);
    expect(report.next.helm).toContain(`--set aws.roleArn=arn:aws:iam::${account}:role/irsa-issuer-prod`);
  });

  it('a second run makes no write call, to S3 or IAM', async () => {
    await runBootstrap(world, clients);
    clients.s3Requests.length = 0;
    clients.iamCommands.length = 0;
    const report = await runBootstrap(world, clients);
    expect(report.changed).toBe(false);
    expect(s3Writes()).toEqual([]);
    expect(writeCommands(clients.iamCommands)).toEqual([]);
    expect(report.sync.verification?.ok).toBe(true);
  });

  it('a dry run writes nothing and plans every part', async () => {
    const report = await runBootstrap(world, clients, { dryRun: true });
    expect(s3Writes()).toEqual([]);
    expect(writeCommands(clients.iamCommands)).toEqual([]);
    expect(await bucketExists()).toBe(false);
    expect(report.bucketStep.status).toBe('planned');
    expect(report.role.changes.join('\n')).toMatch(/create role irsa-issuer-prod/);
    expect(report.sync.steps.find((step) => step.stage === 'register')?.status).toBe('planned');
  });
});

describe('bootstrap on what exists already', () => {
  it('keeps every other statement of an existing bucket policy', async () => {
    await createBucket(clients.s3, bucket);
    const other = {
      Sid: 'TeamLogs',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${bucket}/logs/*`,
    };
    await clients.s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [other] }),
      }),
    );
    await runBootstrap(world, clients);
    const policy = await bucketPolicy();
    expect(policy.Statement).toContainEqual(other);
    expect(policy.Statement.map((statement) => statement.Sid)).toEqual(['TeamLogs', sid]);
  });

  it('names the region of an existing bucket in another region (exit 2), writing nothing', async () => {
    const west = createS3Client({ region: 'us-west-2', endpoint: world.moto.endpoint, credentials: anyCredentials });
    await west.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }),
    );
    clients.s3Requests.length = 0;
    const error = await refusal(runBootstrap(world, clients));
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toMatch(/is in us-west-2, not eu-west-1.*--region us-west-2/);
    expect(s3Writes()).toEqual([]);
  });

  it('refuses a bucket another account owns, writing nothing', async () => {
    const other = motoS3Client(world.moto, await otherAccountCredentials(world.moto));
    await createBucket(other, bucket);
    const error = await refusal(runBootstrap(world, clients));
    expect(error.exitCode).toBe(ExitCode.refused);
    expect(error.message).toMatch(/another AWS account owns it/);
    expect(s3Writes()).toEqual([]);
    expect(writeCommands(clients.iamCommands)).toEqual([]);
  });

  it('refuses a bucket whose policy denies anonymous reads of the documents', async () => {
    await createBucket(clients.s3, bucket);
    const deny = {
      Sid: 'NoPublicReads',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${bucket}/*`,
    };
    await clients.s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [deny] }),
      }),
    );
    clients.s3Requests.length = 0;
    const error = await refusal(runBootstrap(world, clients));
    expect(error.exitCode).toBe(ExitCode.refused);
    expect(error.message).toContain('Sid NoPublicReads');
    expect(s3Writes()).toEqual([]);
  });

  it('relaxes an existing bucket Block Public Access only with --allow-public-policy, keeping the ACL settings', async () => {
    await createBucket(clients.s3, bucket);
    const blocked = {
      BlockPublicAcls: false,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    };
    await clients.s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: blocked }));
    clients.s3Requests.length = 0;
    const error = await refusal(runBootstrap(world, clients));
    expect(error.exitCode).toBe(ExitCode.refused);
    expect(error.message).toMatch(/--allow-public-policy/);
    expect(error.message).toContain('BlockPublicPolicy=true, RestrictPublicBuckets=true → BlockPublicPolicy=false');
    expect(s3Writes()).toEqual([]);

    await runBootstrap(world, clients, { allowPublicPolicy: true });
    expect(
      (await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration,
    ).toEqual({ ...blocked, BlockPublicPolicy: false, RestrictPublicBuckets: false });
  });

  it("refuses when the account's Block Public Access forbids public policies, naming the setting", async () => {
    await clients.accountControl.send(
      new PutAccountPublicAccessBlockCommand({
        AccountId: account,
        PublicAccessBlockConfiguration: { BlockPublicPolicy: true },
      }),
    );
    const error = await refusal(runBootstrap(world, clients));
    expect(error.exitCode).toBe(ExitCode.refused);
    expect(error.message).toMatch(/account-level Block Public Access: BlockPublicPolicy=true/);
    expect(await bucketExists()).toBe(false);
  });

  it('refuses a role of that name that irsa-issuer did not make, naming it, before any write', async () => {
    await clients.iam.send(
      new CreateRoleCommand({
        RoleName: 'irsa-issuer-prod',
        AssumeRolePolicyDocument: JSON.stringify({ Statement: [] }),
      }),
    );
    clients.iamCommands.length = 0;
    const error = await refusal(runBootstrap(world, clients));
    expect(error.exitCode).toBe(ExitCode.refused);
    expect(error.message).toMatch(/IAM role irsa-issuer-prod already exists/);
    expect(await bucketExists()).toBe(false);
    expect(writeCommands(clients.iamCommands)).toEqual([]);
  });

  it("refuses a prefix that holds another issuer's documents, before touching the bucket policy", async () => {
    await createBucket(clients.s3, bucket);
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}/.well-known/openid-configuration`,
        Body: JSON.stringify({
          issuer: 'https://someone-else.example.com',
          jwks_uri: 'https://someone-else.example.com/openid/v1/jwks',
        }),
      }),
    );
    clients.s3Requests.length = 0;
    const error = await refusal(runBootstrap(world, clients));
    expect(error.exitCode).toBe(ExitCode.refused);
    expect(error.message).toContain('https://someone-else.example.com');
    expect(s3Writes()).toEqual([]);
  });

  it('before the API server is reconfigured, refuses pointing at --public-key-file, and keeps the old issuer second', async () => {
    world.stand.setIssuer('https://kubernetes.default.svc.cluster.local');
    const error = await refusal(runBootstrap(world, clients));
    expect(error.exitCode).toBe(ExitCode.refused);
    expect(error.message).toMatch(/--public-key-file/);
    expect(error.message).toMatch(/--allow-issuer-mismatch/);
    expect(await bucketExists()).toBe(false);

    const report = await runBootstrap(world, clients, { allowIssuerMismatch: true });
    expect(report.next.apiServerFlags).toEqual([
      `--service-account-issuer=${world.issuerUrl}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-jwks-uri=${world.issuerUrl}/openid/v1/jwks`,
    ]);
  });

  it('a failure after writing names the missing action and what was written; the next run picks up', async () => {
    // moto checks IAM permissions only against Resource "*" statements; a denial of just this call is
    // injected on the client instead, as IAM would answer it.
    clients.iam.middlewareStack.add(
      (next, context) => (args) =>
        context.commandName === 'CreateRoleCommand'
          ? Promise.reject(
              Object.assign(new Error('not authorized to perform: iam:CreateRole'), { name: 'AccessDenied' }),
            )
          : next(args),
      { step: 'initialize', name: 'denyCreateRole' },
    );
    const error = await refusal(runBootstrap(world, clients));
    expect(error.exitCode).toBe(ExitCode.failed);
    expect(error.message).toMatch(/iam:CreateRole on role irsa-issuer-prod failed: AccessDenied/);
    expect(error.message).toContain('docs/iam-policy.md');
    expect(error.message).toMatch(/already made these changes[\s\S]*created bucket acme-oidc[\s\S]*create provider/);

    clients.iam.middlewareStack.remove('denyCreateRole');
    const report = await runBootstrap(world, clients);
    expect(report.bucketStep.status).toBe('unchanged');
    expect(report.role.status).toBe('changed');
  });

  it('run twice, gives one role', async () => {
    await runBootstrap(world, clients);
    await runBootstrap(world, clients);
    const { Roles } = await clients.iam.send(new ListRolesCommand({}));
    expect((Roles ?? []).map((role) => role.RoleName)).toEqual(['irsa-issuer-prod']);
  });
});

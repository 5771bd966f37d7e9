/**
 * The state `irsa-issuer bootstrap` leaves in an account, made by hand from the bootstrap contract
 * (/work/briefs/bootstrap-contract.md: tags, Sid, role name, trust, inline policy), so teardown can
 * be tested before bootstrap exists. Once both are merged, an end-to-end test runs bootstrap itself
 * instead of `seedBootstrapState`; `accountState` (the full listing compared before and after) stays.
 */
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
  ListOpenIDConnectProviderTagsCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  bucketIssuerUrl,
  defaultClusterName,
  defaultRoleName,
  documentKeys,
  managedTags,
  objectArn,
  publicReadSid,
  publisherPolicyName,
} from '../../src/bootstrap/names.js';
import { parseIssuer, type Issuer } from '../../src/issuer.js';
import { testRegion } from '../stand/s3.js';

export const account = '123456789012';

export interface Aws {
  readonly s3: S3Client;
  readonly iam: IAMClient;
}

export interface Bootstrapped {
  readonly issuer: Issuer;
  readonly providerArn: string;
  readonly roleName: string;
}

/** The issuer bootstrap publishes for s3://bucket/prefix in the test region. */
export function bootstrapIssuer(bucket: string, prefix: string): Issuer {
  return parseIssuer(bucketIssuerUrl(bucket, testRegion, prefix));
}

function tagList(cluster: string, issuer: Issuer) {
  return Object.entries(managedTags(cluster, issuer.url)).map(([Key, Value]) => ({ Key, Value }));
}

/** A bucket as bootstrap creates it: BucketOwnerEnforced, versioned, BPA open for a policy only, tagged. */
export async function createBucketAsBootstrap(
  aws: Aws,
  bucket: string,
  issuer: Issuer,
  cluster: string,
): Promise<void> {
  await createPlainBucket(aws, bucket);
  await aws.s3.send(
    new PutBucketTaggingCommand({
      Bucket: bucket,
      Tagging: { TagSet: tagList(cluster, issuer) },
    }),
  );
}

/** A versioned bucket someone else made, with a policy statement of their own. */
export async function createPlainBucket(aws: Aws, bucket: string): Promise<void> {
  await aws.s3.send(
    new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: testRegion } }),
  );
  await aws.s3.send(
    new PutBucketOwnershipControlsCommand({
      Bucket: bucket,
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    }),
  );
  await aws.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  await aws.s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      },
    }),
  );
}

/** Someone else's statement, which teardown must keep. */
export const otherStatement = {
  Sid: 'AuditorsReadLogs',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${account}:root` },
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::BUCKET/logs/*',
};

export async function putPolicy(aws: Aws, bucket: string, statements: readonly object[]): Promise<void> {
  await aws.s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    }),
  );
}

export function trustPolicy(providerArn: string, providerName: string, subject: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { [`${providerName}:sub`]: subject, [`${providerName}:aud`]: 'sts.amazonaws.com' },
        },
      },
    ],
  });
}

/**
 * What bootstrap adds for `s3://bucket/prefix` (the bucket must exist): our public-read statement
 * merged into the policy, both documents written twice (so old versions exist), the provider and
 * the publisher role, all tagged.
 */
export async function seedBootstrapState(aws: Aws, bucket: string, prefix: string): Promise<Bootstrapped> {
  const issuer = bootstrapIssuer(bucket, prefix);
  const cluster = defaultClusterName(bucket, prefix);
  const tags = tagList(cluster, issuer);
  const keys = documentKeys(prefix);
  const existing = await aws.s3
    .send(new GetBucketPolicyCommand({ Bucket: bucket }))
    .then(({ Policy }) => (JSON.parse(Policy ?? '{}') as { Statement?: object[] }).Statement ?? [])
    .catch(() => []);
  await putPolicy(aws, bucket, [
    ...existing,
    {
      Sid: publicReadSid(prefix),
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: [objectArn('aws', bucket, keys.discovery), objectArn('aws', bucket, keys.jwks)],
    },
  ]);
  for (const round of [1, 2]) {
    const documents = [
      [keys.jwks, { keys: [], round }],
      [keys.discovery, { issuer: issuer.url, jwks_uri: issuer.jwksUrl, round }],
    ] as const;
    for (const [object, body] of documents) {
      await aws.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: object,
          Body: JSON.stringify(body),
          ContentType: 'application/json',
        }),
      );
    }
  }
  const { OpenIDConnectProviderArn } = await aws.iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: issuer.url,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['a'.repeat(40)],
      Tags: tags,
    }),
  );
  const providerArn = OpenIDConnectProviderArn ?? '';
  const roleName = defaultRoleName(cluster);
  await aws.iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: trustPolicy(
        providerArn,
        issuer.providerName,
        'system:serviceaccount:irsa-issuer:irsa-issuer',
      ),
      Tags: tags,
    }),
  );
  await aws.iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: publisherPolicyName,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject'],
            Resource: [keys.discovery, keys.jwks, keys.exposedKids].map((object) => objectArn('aws', bucket, object)),
          },
        ],
      }),
    }),
  );
  return { issuer, providerArn, roleName };
}

/**
 * Everything in the account that teardown could touch, as plain data: every bucket with its
 * policy, tags, versioning, Block Public Access, ownership and object versions; every role with its trust, tags and policies; every provider
 * with its tags. Two equal listings mean nothing a user could notice changed.
 */
export async function accountState(aws: Aws): Promise<unknown> {
  const buckets = [];
  for (const { Name } of (await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
    const bucket = Name ?? '';
    const policy = await aws.s3
      .send(new GetBucketPolicyCommand({ Bucket: bucket }))
      .then(({ Policy }) => JSON.parse(Policy ?? 'null') as unknown)
      .catch(() => null);
    const tags = await aws.s3
      .send(new GetBucketTaggingCommand({ Bucket: bucket }))
      .then(({ TagSet }) => TagSet ?? [])
      .catch(() => []);
    const versions = await aws.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const versioning = (await aws.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status ?? null;
    const blockPublicAccess = await aws.s3
      .send(new GetPublicAccessBlockCommand({ Bucket: bucket }))
      .then(({ PublicAccessBlockConfiguration }) => PublicAccessBlockConfiguration ?? null)
      .catch(() => null);
    const ownership = await aws.s3
      .send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }))
      .then(({ OwnershipControls }) => OwnershipControls?.Rules ?? null)
      .catch(() => null);
    buckets.push({
      bucket,
      policy,
      tags,
      versioning,
      blockPublicAccess,
      ownership,
      versions: (versions.Versions ?? []).map((version) => `${version.Key ?? ''}@${version.VersionId ?? ''}`).sort(),
      deleteMarkers: (versions.DeleteMarkers ?? [])
        .map((marker) => `${marker.Key ?? ''}@${marker.VersionId ?? ''}`)
        .sort(),
    });
  }
  const roles = [];
  for (const role of (await aws.iam.send(new ListRolesCommand({}))).Roles ?? []) {
    const name = role.RoleName ?? '';
    const full = (await aws.iam.send(new GetRoleCommand({ RoleName: name }))).Role;
    const inline = (await aws.iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [];
    const attached =
      (await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? [];
    roles.push({
      name,
      trust: full?.AssumeRolePolicyDocument,
      tags: full?.Tags ?? [],
      inline,
      attached: attached.map((policy) => policy.PolicyArn),
    });
  }
  const providers = [];
  for (const { Arn } of (await aws.iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ??
    []) {
    const tags = await aws.iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: Arn }));
    providers.push({ arn: Arn, tags: tags.Tags ?? [] });
  }
  return { buckets, roles: roles.sort((a, b) => a.name.localeCompare(b.name)), providers };
}

/** Things bootstrap never made, which teardown must leave exactly as they are. */
export async function seedBystanders(aws: Aws): Promise<void> {
  await aws.iam.send(
    new CreateRoleCommand({
      RoleName: 'ci-deployer',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  await aws.iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: 'https://oidc.example.com/other-cluster',
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['b'.repeat(40)],
    }),
  );
}

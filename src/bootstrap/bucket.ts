/**
 * The bucket that serves the issuer: created when missing (objects owned by the bucket, versioned,
 * Block Public Access off for policies only), and a bucket-policy statement of its own letting
 * anyone read exactly the two documents, merged into whatever policy is there. An existing bucket
 * is never made more public than it is without --allow-public-policy.
 */
import {
  CreateBucketCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type PublicAccessBlockConfiguration,
} from '@aws-sdk/client-s3';
import { awsErrorName, PublicReadBlockedError, UnmanagedResourceError } from '../errors.js';
import { isJsonObject } from '../json.js';
import {
  bucketExists,
  ownedByCaller,
  readAccountBlock,
  readBucketBlock,
  readPolicy,
  readVersioning,
  type AccountApi,
  type BucketApi,
  type BucketIdentity,
} from './bucket-state.js';
import { bucketFailure } from './failure.js';
import { bucketArn } from './names.js';
import { documentArns, publicReadStatement, samePolicy, type BucketPlace, type PolicyStatement } from './policies.js';
import { deniesAnonymousRead } from './policy-deny.js';

export type { AccountApi, BucketApi } from './bucket-state.js';

export interface BucketRequest extends BucketPlace, BucketIdentity {
  readonly tags: Readonly<Record<string, string>>;
  /** Relax an existing bucket's Block Public Access as far as the public-read policy needs. */
  readonly allowPublicPolicy: boolean;
}

/** What the bucket needs; `existed` false: everything here is created. */
export interface BucketPlan {
  readonly existed: boolean;
  readonly create: boolean;
  /** The bucket-level Block Public Access to write, when it must change. */
  readonly publicAccessBlock?: PublicAccessBlockConfiguration;
  /** The whole bucket policy to write (ours merged in), when it must change. */
  readonly policy?: { readonly Version: string; readonly Statement: readonly unknown[] };
  readonly changes: readonly string[];
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
}

/** BucketOwnerEnforced: ACLs off, every object the bucket owner's; public access is a policy. */
const ownershipRule = { ObjectOwnership: 'BucketOwnerEnforced' as const };

/** What a public-read policy needs: the ACL settings stay on, the policy settings off. */
const wantedAccessBlock: PublicAccessBlockConfiguration = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
};

function blocksPolicy(config: PublicAccessBlockConfiguration | undefined): boolean {
  return config?.BlockPublicPolicy === true || config?.RestrictPublicBuckets === true;
}

function describeBlock(config: PublicAccessBlockConfiguration): string {
  return `BlockPublicPolicy=${String(config.BlockPublicPolicy ?? false)}, RestrictPublicBuckets=${String(config.RestrictPublicBuckets ?? false)}`;
}

/** The bucket's statements with ours in place of any earlier one of the same Sid; every other kept. */
function mergedStatements(existing: readonly unknown[], ours: PolicyStatement): unknown[] {
  const merged: unknown[] = [];
  let placed = false;
  for (const statement of existing) {
    if (isJsonObject(statement) && statement.Sid === ours.Sid) {
      if (!placed) merged.push(ours);
      placed = true;
    } else {
      merged.push(statement);
    }
  }
  if (!placed) merged.push(ours);
  return merged;
}

/**
 * Read-only. Refuses (exit 3, nothing written) a bucket owned by another account, a policy that
 * denies the anonymous read, and Block Public Access that forbids the policy when it may not be
 * relaxed (an existing bucket without --allow-public-policy; the account's setting always).
 */
export async function planBucket(
  request: BucketRequest,
  api: BucketApi,
  accountApi: AccountApi | undefined,
): Promise<BucketPlan> {
  const { bucket } = request;
  const ours = publicReadStatement(request);
  const changes: string[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];

  const accountBlock = await readAccountBlock(request, accountApi);
  if (blocksPolicy(accountBlock)) {
    throw new PublicReadBlockedError(
      `The account ${request.account} blocks public bucket policies for every bucket (account-level Block Public ` +
        `Access: ${describeBlock(accountBlock ?? {})}), so STS could never read the documents from s3://${bucket}. ` +
        'Nothing was written. Turn those two settings off for the account (S3 console, "Block Public Access settings ' +
        'for this account"; the ACL settings can stay on) or serve the issuer from another account or behind ' +
        'CloudFront (irsa-issuer sync --target).',
    );
  }
  if (accountApi === undefined) notes.push('account-level Block Public Access not checked (S3-compatible endpoint)');

  if (!(await bucketExists(request, api))) {
    changes.push(
      `create bucket ${bucket} in ${request.region}: objects owned by the bucket (BucketOwnerEnforced), versioning on, ` +
        'Block Public Access for ACLs only',
      `bucket policy: add ${ours.Sid ?? ''}, anonymous s3:GetObject on ${documentArns(request).join(' and ')}`,
    );
    return {
      existed: false,
      create: true,
      publicAccessBlock: wantedAccessBlock,
      policy: { Version: '2012-10-17', Statement: [ours] },
      changes,
      notes,
      warnings,
    };
  }

  if (!(await ownedByCaller(request, api))) {
    throw new UnmanagedResourceError(
      `The bucket ${bucket} exists but is not in account ${request.account}'s list of buckets: another AWS account ` +
        'owns it (bucket names are global). Nothing was written. Choose another --bucket; if the bucket is yours in ' +
        "another account, run bootstrap with that account's credentials.",
    );
  }

  const block = await readBucketBlock(request, api);
  let publicAccessBlock: PublicAccessBlockConfiguration | undefined;
  if (blocksPolicy(block)) {
    const wanted = { ...block, BlockPublicPolicy: false, RestrictPublicBuckets: false };
    const change = `Block Public Access of ${bucket}: ${describeBlock(block ?? {})} → ${describeBlock(wanted)} (the ACL settings unchanged)`;
    if (!request.allowPublicPolicy) {
      throw new PublicReadBlockedError(
        `The bucket ${bucket} already exists and its Block Public Access forbids a public bucket policy, which STS needs ` +
          `to read the documents anonymously. Nothing was written. This would change:\n  ${change}\n` +
          'Pass --allow-public-policy to make that change (only the two documents become public), or use a bucket of ' +
          'its own for the issuer.',
      );
    }
    publicAccessBlock = wanted;
    changes.push(change);
  }

  const existing = await readPolicy(request, api);
  const statements = Array.isArray(existing?.Statement)
    ? (existing.Statement as unknown[])
    : existing?.Statement === undefined
      ? []
      : [existing.Statement];
  const deny = deniesAnonymousRead(statements, documentArns(request));
  if (deny.refused !== undefined) {
    throw new PublicReadBlockedError(
      `The bucket policy of ${bucket} has a statement that denies anonymous reads of the documents ` +
        `(${deny.refused}), and a Deny wins over irsa-issuer's Allow: STS could not read them. Nothing was written. ` +
        'Narrow that statement so it leaves the two documents readable, or use another bucket or --prefix.',
    );
  }
  warnings.push(...deny.warnings);
  const current = statements.find((statement) => isJsonObject(statement) && statement.Sid === ours.Sid);
  let policy: BucketPlan['policy'];
  if (current === undefined || !samePolicy(current, ours)) {
    policy = {
      Version: typeof existing?.Version === 'string' ? existing.Version : '2012-10-17',
      ...(existing ?? {}),
      Statement: mergedStatements(statements, ours),
    };
    const kept = statements.length - (current === undefined ? 0 : 1);
    changes.push(
      `bucket policy: ${current === undefined ? 'add' : 'replace'} ${ours.Sid ?? ''}, anonymous s3:GetObject on ` +
        `${documentArns(request).join(' and ')}${kept > 0 ? ` (the ${kept} other statement(s) kept)` : ''}`,
    );
  }

  const versioning = await readVersioning(request, api);
  if (versioning !== 'Enabled') {
    notes.push(
      `versioning of ${bucket} is ${versioning ?? 'off'}: left as it is; with it on a bad publish can be rolled back ` +
        `(aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled)`,
    );
  }
  return {
    existed: true,
    create: false,
    ...(publicAccessBlock === undefined ? {} : { publicAccessBlock }),
    ...(policy === undefined ? {} : { policy }),
    changes,
    notes,
    warnings,
  };
}

/** Makes the planned changes, in the order that never exposes more than the two documents. */
export async function applyBucket(
  plan: BucketPlan,
  request: BucketRequest,
  api: BucketApi,
  changed: (change: string) => void = () => undefined,
): Promise<void> {
  const { bucket } = request;
  const arn = bucketArn(request.partition, request.bucket);
  const owner = plan.create ? {} : { ExpectedBucketOwner: request.account };
  if (plan.create) {
    try {
      await api.send(
        new CreateBucketCommand({
          Bucket: bucket,
          // us-east-1 is S3's default location and refuses to be named as a constraint.
          ...(request.region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: request.region as never } }),
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'BucketAlreadyExists') {
        throw new UnmanagedResourceError(
          `The bucket ${bucket} was just created by another AWS account (bucket names are global). Choose another --bucket.`,
          { cause: error },
        );
      }
      throw bucketFailure(error, 's3:CreateBucket', arn);
    }
    changed(`created bucket ${bucket}`);
    const steps: [string, () => Promise<unknown>][] = [
      [
        's3:PutBucketOwnershipControls',
        () =>
          api.send(
            new PutBucketOwnershipControlsCommand({ Bucket: bucket, OwnershipControls: { Rules: [ownershipRule] } }),
          ),
      ],
      [
        's3:PutBucketVersioning',
        () =>
          api.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })),
      ],
      [
        's3:PutBucketTagging',
        () =>
          api.send(
            new PutBucketTaggingCommand({
              Bucket: bucket,
              Tagging: { TagSet: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })) },
            }),
          ),
      ],
    ];
    for (const [action, step] of steps) {
      try {
        await step();
      } catch (error) {
        throw bucketFailure(error, action, arn);
      }
    }
  }
  if (plan.publicAccessBlock !== undefined) {
    try {
      await api.send(
        new PutPublicAccessBlockCommand({
          Bucket: bucket,
          PublicAccessBlockConfiguration: plan.publicAccessBlock,
          ...owner,
        }),
      );
    } catch (error) {
      throw bucketFailure(error, 's3:PutBucketPublicAccessBlock', arn);
    }
    if (!plan.create) changed(`Block Public Access of ${bucket}: ${describeBlock(plan.publicAccessBlock)}`);
  }
  if (plan.policy !== undefined) {
    try {
      await api.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(plan.policy), ...owner }));
    } catch (error) {
      throw bucketFailure(error, 's3:PutBucketPolicy', arn);
    }
    changed(`bucket policy of ${bucket}: public read of the two documents`);
  }
}

/**
 * The bucket side of teardown: the versions of irsa-issuer's own keys, the public-read statement
 * with our Sid, the bucket's tags and everything else it still holds. Reads return data; the
 * deletes are separate functions the applier calls in order.
 */
import {
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  ListObjectVersionsCommand,
  PutBucketPolicyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { awsErrorName, PublishError } from '../errors.js';
import { discoveryPath, exposedKidsPath, jwksPath } from '../issuer.js';
import { isJsonObject, parseJson, stringMember } from '../json.js';
import { loadS3, objectKey } from '../publish/index.js';
import { s3Error } from './teardown-failure.js';

export type S3Api = Pick<S3Client, 'send'>;

/** One version or delete marker of one key. */
export interface ObjectVersion {
  readonly key: string;
  readonly versionId: string;
  readonly deleteMarker: boolean;
}

/** The keys sync writes under a prefix, and nothing else. */
export function ownKeys(prefix: string): string[] {
  return [discoveryPath, jwksPath, exposedKidsPath].map((path) => objectKey(prefix, path));
}

/** Every version and delete marker under `prefix` (the whole bucket for ''); undefined: no such bucket. */
export async function listVersions(s3: S3Api, bucket: string, prefix: string): Promise<ObjectVersion[] | undefined> {
  const versions: ObjectVersion[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          ...(prefix === '' ? {} : { Prefix: prefix }),
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(versionMarker === undefined ? {} : { VersionIdMarker: versionMarker }),
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'NoSuchBucket') return undefined;
      throw s3Error(error, 's3:ListBucketVersions', `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`);
    }
    for (const [entries, deleteMarker] of [
      [page.Versions ?? [], false],
      [page.DeleteMarkers ?? [], true],
    ] as const) {
      for (const entry of entries) {
        // An unversioned object lists with VersionId "null", which DeleteObjects takes as it is.
        if (entry.Key !== undefined)
          versions.push({ key: entry.Key, versionId: entry.VersionId ?? 'null', deleteMarker });
      }
    }
    keyMarker = page.IsTruncated === true ? page.NextKeyMarker : undefined;
    versionMarker = page.IsTruncated === true ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
  return versions;
}

/** The versions of irsa-issuer's own keys only: a listing by prefix also finds `jwks-old` beside `jwks`. */
export async function ownVersions(s3: S3Api, bucket: string, prefix: string): Promise<ObjectVersion[] | undefined> {
  const found: ObjectVersion[] = [];
  for (const key of ownKeys(prefix)) {
    const versions = await listVersions(s3, bucket, key);
    if (versions === undefined) return undefined;
    found.push(...versions.filter((version) => version.key === key));
  }
  return found;
}

/**
 * The issuer the current discovery document names, when there is one. A prefix may be published
 * through another URL (CloudFront, a custom domain): its documents then belong to that issuer, and
 * deleting them would lock out every workload that trusts it.
 */
export async function publishedIssuer(s3: S3Client, bucket: string, prefix: string): Promise<string | undefined> {
  const { S3Store } = await loadS3();
  const stored = await new S3Store(s3, bucket, prefix).get(discoveryPath);
  if (stored === undefined) return undefined;
  const parsed = parseJson(stored.body);
  return (isJsonObject(parsed) ? stringMember(parsed, 'issuer') : undefined) ?? '(not a discovery document)';
}

/** The bucket policy as S3 holds it, undefined when the bucket has none. */
async function readPolicy(s3: S3Api, bucket: string): Promise<Record<string, unknown> | undefined> {
  let text: string | undefined;
  try {
    text = (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
  } catch (error) {
    const name = awsErrorName(error);
    if (name === 'NoSuchBucketPolicy' || name === 'NoSuchBucket') return undefined;
    throw s3Error(error, 's3:GetBucketPolicy', `s3://${bucket}`);
  }
  if (text === undefined) return undefined;
  const policy = parseJson(text);
  if (!isJsonObject(policy)) {
    throw new PublishError(`The bucket policy of s3://${bucket} is not a JSON object; fix it by hand first.`);
  }
  return policy;
}

/** What removing our statement does to the bucket policy. */
export interface PolicyChange {
  /** The statements that stay; none: the policy is deleted. */
  readonly remaining: readonly unknown[];
  readonly policy: Readonly<Record<string, unknown>>;
}

/** The policy without the statement whose Sid is ours; undefined when it has no such statement. */
export async function policyWithout(s3: S3Api, bucket: string, sid: string): Promise<PolicyChange | undefined> {
  const policy = await readPolicy(s3, bucket);
  if (policy === undefined) return undefined;
  const statements: unknown[] = [policy.Statement ?? []].flat();
  const remaining = statements.filter((statement) => !(isJsonObject(statement) && statement.Sid === sid));
  if (remaining.length === statements.length) return undefined;
  return { remaining, policy: { ...policy, Statement: remaining } };
}

/** The bucket's tags; {} for none (S3 answers NoSuchTagSet) or no bucket. */
export async function bucketTags(s3: S3Api, bucket: string): Promise<Record<string, string>> {
  try {
    const { TagSet } = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
    return Object.fromEntries((TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  } catch (error) {
    const name = awsErrorName(error);
    if (name === 'NoSuchTagSet' || name === 'NoSuchBucket') return {};
    throw s3Error(error, 's3:GetBucketTagging', `s3://${bucket}`);
  }
}

/** At most DeleteObjects' 1000 keys per request. */
const deleteBatch = 1000;

export async function deleteVersions(s3: S3Api, bucket: string, versions: readonly ObjectVersion[]): Promise<void> {
  for (let start = 0; start < versions.length; start += deleteBatch) {
    const batch = versions.slice(start, start + deleteBatch);
    let errors;
    try {
      const answer = await s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map(({ key, versionId }) => ({ Key: key, VersionId: versionId })), Quiet: true },
        }),
      );
      errors = answer.Errors ?? [];
    } catch (error) {
      throw s3Error(error, 's3:DeleteObjectVersion', `s3://${bucket}/${batch[0]?.key ?? ''}`);
    }
    // DeleteObjects answers 200 and lists per-key failures in its body.
    const [first] = errors.filter((failure) => failure.Code !== 'NoSuchVersion' && failure.Code !== 'NoSuchKey');
    if (first !== undefined) {
      const failure = Object.assign(new Error(first.Message ?? first.Code ?? 'failed'), {
        name: first.Code ?? 'Error',
      });
      throw s3Error(
        failure,
        's3:DeleteObjectVersion',
        `s3://${bucket}/${first.Key ?? ''} (version ${first.VersionId ?? '?'})`,
      );
    }
  }
}

/** Removes our statement, reading the policy again so a statement added since the plan is kept. */
export async function removeStatement(s3: S3Api, bucket: string, sid: string): Promise<void> {
  const change = await policyWithout(s3, bucket, sid);
  if (change === undefined) return;
  try {
    if (change.remaining.length === 0) await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    else await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(change.policy) }));
  } catch (error) {
    const action = change.remaining.length === 0 ? 's3:DeleteBucketPolicy' : 's3:PutBucketPolicy';
    throw s3Error(error, action, `s3://${bucket}`);
  }
}

export async function deleteBucket(s3: S3Api, bucket: string): Promise<void> {
  try {
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchBucket') return;
    throw s3Error(error, 's3:DeleteBucket', `s3://${bucket}`);
  }
}

/** For the report: `s3://B/KEY`. */
export function objectUrl(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

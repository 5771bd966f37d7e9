/**
 * What the bucket is now, read without changing it: whether it exists and in which region, whose
 * it is, its and the account's Block Public Access, its policy and versioning.
 */
import {
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  type PublicAccessBlockConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand,
  type S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { awsErrorName, ConfigError, PublicReadBlockedError } from '../errors.js';
import { isJsonObject } from '../json.js';
import { bucketFailure } from './failure.js';
import { bucketArn, type Partition } from './names.js';

export type BucketApi = Pick<S3Client, 'send'>;
export type AccountApi = Pick<S3ControlClient, 'send'>;

/** Where the bucket is and whose it should be. */
export interface BucketIdentity {
  readonly partition: Partition;
  readonly bucket: string;
  readonly region: string;
  readonly account: string;
}

export async function bucketExists(request: BucketIdentity, api: BucketApi): Promise<boolean> {
  try {
    const head = await api.send(new HeadBucketCommand({ Bucket: request.bucket }));
    // The issuer names the region in its host; S3 answers another region's host with a redirect STS does not follow.
    if (head.BucketRegion !== undefined && head.BucketRegion !== request.region) {
      throw new ConfigError(
        `The bucket ${request.bucket} is in ${head.BucketRegion}, not ${request.region}; the issuer's host names the ` +
          `bucket's region. Pass --region ${head.BucketRegion}.`,
      );
    }
    return true;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const name = awsErrorName(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === 'NotFound' || name === 'NoSuchBucket' || status === 404) return false;
    // 403: the bucket exists and is not ours to look into (or the credentials lack s3:ListBucket);
    // the listing of our own buckets decides which.
    if (name === 'Forbidden' || name === 'AccessDenied' || status === 403) return true;
    throw bucketFailure(error, 's3:ListBucket', bucketArn(request.partition, request.bucket));
  }
}

/** A bucket name is global: one that exists but is not in this account's list is someone else's. */
export async function ownedByCaller(request: BucketIdentity, api: BucketApi): Promise<boolean> {
  try {
    let token: string | undefined;
    do {
      const page = await api.send(
        new ListBucketsCommand({
          Prefix: request.bucket,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      if ((page.Buckets ?? []).some((bucket) => bucket.Name === request.bucket)) return true;
      token = page.ContinuationToken;
    } while (token !== undefined && token !== '');
    return false;
  } catch (error) {
    throw bucketFailure(error, 's3:ListAllMyBuckets', '*');
  }
}

export async function readAccountBlock(
  request: BucketIdentity,
  api: AccountApi | undefined,
): Promise<PublicAccessBlockConfiguration | undefined> {
  if (api === undefined) return undefined;
  try {
    const got = await api.send(new GetAccountPublicAccessBlockCommand({ AccountId: request.account }));
    return got.PublicAccessBlockConfiguration;
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchPublicAccessBlockConfiguration') return undefined;
    throw bucketFailure(error, 's3:GetAccountPublicAccessBlock', `account ${request.account}`);
  }
}

export async function readBucketBlock(
  request: BucketIdentity,
  api: BucketApi,
): Promise<PublicAccessBlockConfiguration | undefined> {
  try {
    const got = await api.send(
      new GetPublicAccessBlockCommand({ Bucket: request.bucket, ExpectedBucketOwner: request.account }),
    );
    return got.PublicAccessBlockConfiguration;
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchPublicAccessBlockConfiguration') return undefined;
    throw bucketFailure(error, 's3:GetBucketPublicAccessBlock', bucketArn(request.partition, request.bucket));
  }
}

export async function readPolicy(
  request: BucketIdentity,
  api: BucketApi,
): Promise<Record<string, unknown> | undefined> {
  const arn = bucketArn(request.partition, request.bucket);
  let text: string | undefined;
  try {
    text = (
      await api.send(new GetBucketPolicyCommand({ Bucket: request.bucket, ExpectedBucketOwner: request.account }))
    ).Policy;
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchBucketPolicy') return undefined;
    throw bucketFailure(error, 's3:GetBucketPolicy', arn);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    parsed = undefined;
  }
  if (!isJsonObject(parsed)) {
    throw new PublicReadBlockedError(
      `The bucket policy of ${request.bucket} is not a JSON object, so bootstrap cannot merge its statement into it ` +
        'without losing something. Nothing was written. Fix the policy (aws s3api get-bucket-policy), then run again.',
    );
  }
  return parsed;
}

export async function readVersioning(request: BucketIdentity, api: BucketApi): Promise<string | undefined> {
  try {
    return (
      await api.send(new GetBucketVersioningCommand({ Bucket: request.bucket, ExpectedBucketOwner: request.account }))
    ).Status;
  } catch (error) {
    throw bucketFailure(error, 's3:GetBucketVersioning', bucketArn(request.partition, request.bucket));
  }
}

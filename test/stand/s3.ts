/**
 * S3 on moto as a stranger and an operator see it: buckets, a public-read policy, unsigned GETs,
 * IAM users with narrow policies, and a record of the requests a client actually sends.
 */
import { CreateBucketCommand, PutBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { createS3Client } from '../../src/publish/s3.js';
import type { MotoServer } from './moto.js';

export const testRegion = 'eu-west-1';

/** Any key pair passes while moto's authentication is off (its default). */
export const anyCredentials = { accessKeyId: 'AKIAIRSAISSUERTESTKEY', secretAccessKey: 'irsa-issuer-test-secret' };

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The client the product builds, pointed at moto (path-style, as for any --s3-endpoint). */
export function motoS3Client(moto: MotoServer, credentials: Credentials = anyCredentials): S3Client {
  return createS3Client({ region: testRegion, endpoint: moto.endpoint, credentials });
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(
    new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: testRegion } }),
  );
}

/** What `bootstrap` puts on the bucket: anyone may GET the objects under the prefix, nothing else. */
export function publicReadPolicy(bucket: string, prefix: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublicReadIssuerDocuments',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/${prefix ? `${prefix}/` : ''}*`,
      },
    ],
  });
}

export async function allowPublicRead(client: S3Client, bucket: string, prefix: string): Promise<void> {
  await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket, prefix) }));
}

export interface AnonymousResponse {
  readonly status: number;
  readonly body: Uint8Array;
  readonly contentType: string | null;
  readonly cacheControl: string | null;
}

/** A plain unsigned GET, as STS makes it: no Authorization header, no query signature. */
export async function anonymousGet(moto: MotoServer, bucket: string, key: string): Promise<AnonymousResponse> {
  const response = await fetch(`${moto.endpoint}/${bucket}/${key}`);
  return {
    status: response.status,
    body: new Uint8Array(await response.arrayBuffer()),
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
  };
}

/**
 * An IAM user in moto allowed exactly `actions` on `arn:aws:s3:::BUCKET/*`, with an access key.
 * Only meaningful once moto's authentication is on (setMotoAuthentication).
 */
export async function createS3User(
  moto: MotoServer,
  name: string,
  bucket: string,
  actions: readonly string[],
): Promise<Credentials> {
  const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: anyCredentials });
  try {
    await iam.send(new CreateUserCommand({ UserName: name }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: 'publish',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: actions, Resource: `arn:aws:s3:::${bucket}/*` }],
        }),
      }),
    );
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey) throw new Error('moto returned no access key');
    return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
  } finally {
    iam.destroy();
  }
}

export interface RecordedRequest {
  /** `GetObjectCommand`, `PutObjectCommand`, ... */
  readonly command: string;
  readonly key: string | undefined;
  /** Where the request went: path-style puts the bucket in `path`, not in `hostname`. */
  hostname: string;
  path: string;
  /** The HTTP status of the final attempt; 0 when no response came. */
  status: number;
}

/**
 * Records every command the client sends, in order, with its outcome: an SDK middleware, so it
 * sees exactly what the code under test asks S3 to do.
 */
export function recordRequests(client: S3Client): RecordedRequest[] {
  const recorded: RecordedRequest[] = [];
  const byContext = new WeakMap<object, RecordedRequest>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: unknown };
      const entry: RecordedRequest = {
        command: context.commandName ?? 'unknown',
        key: typeof input.Key === 'string' ? input.Key : undefined,
        hostname: '',
        path: '',
        status: 0,
      };
      recorded.push(entry);
      byContext.set(context, entry);
      try {
        const result = await next(args);
        entry.status = (result.output as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
        return result;
      } catch (error) {
        entry.status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
        throw error;
      }
    },
    { step: 'initialize', name: 'irsaIssuerTestRecorder' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const entry = byContext.get(context);
      const request = args.request as { hostname?: string; path?: string };
      if (entry) {
        entry.hostname = request.hostname ?? '';
        entry.path = request.path ?? '';
      }
      return next(args);
    },
    { step: 'build', name: 'irsaIssuerTestRecorderTarget' },
  );
  return recorded;
}

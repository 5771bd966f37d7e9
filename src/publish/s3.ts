import { partitionOf } from '../partition.js';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { awsClientConfig, type AwsClientOptions } from '../aws-client.js';
import { awsErrorName, ConfigError, describeCause, isIrsaIssuerError, PublishError } from '../errors.js';
import { maxDocumentBytes } from '../issuer.js';
import { classifyNetworkError } from '../network.js';
import type { ObjectStore, ObjectWrite, StoredObject, WriteOutcome } from './store.js';
import { describeTarget, objectKey } from './target.js';

export interface S3ClientOptions extends AwsClientOptions {
  /** Wins over the SDK chain (AWS_REGION, the profile's `region`). */
  readonly region?: string;
  /** An S3-compatible store (MinIO, Ceph RGW, moto): `--s3-endpoint`. */
  readonly endpoint?: string;
  /** Omitted: the SDK's default chain (environment, profile, web identity/IRSA, container, IMDS). */
  readonly credentials?: S3ClientConfig['credentials'];
}

/** What S3-compatible stores assume when the client names no region; MinIO and Ceph default to it. */
const compatibleStoreRegion = 'us-east-1';

/**
 * The S3 client the publish stage is handed. With a custom endpoint it addresses buckets
 * path-style. Without --region the SDK chain decides; if it finds nothing, the first request fails
 * with a ConfigError (before anything is written: a run reads first).
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  const config: S3ClientConfig = {
    ...awsClientConfig(options),
    // A bucket in another region than the client: follow S3's redirect instead of failing with a 301.
    followRegionRedirects: true,
  };
  if (options.credentials !== undefined) config.credentials = options.credentials;
  if (options.endpoint !== undefined) {
    let endpoint: URL;
    try {
      endpoint = new URL(options.endpoint);
    } catch {
      throw new ConfigError(
        `The S3 endpoint ${JSON.stringify(options.endpoint)} is not a URL; pass --s3-endpoint as ` +
          `http(s)://HOST[:PORT].`,
      );
    }
    if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') {
      throw new ConfigError(
        `The S3 endpoint ${options.endpoint} is not http:// or https://; pass --s3-endpoint as http(s)://HOST[:PORT].`,
      );
    }
    config.endpoint = options.endpoint;
    // S3-compatible stores rarely have wildcard DNS for BUCKET.HOST, and an IP address cannot have it.
    config.forcePathStyle = true;
    // SDK releases since early 2025 send and demand CRC checksums by default; several S3-compatible
    // stores reject or omit them. Only S3 itself gets the default.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  config.region = options.region ?? regionFromChain(options.endpoint !== undefined);
  return new S3Client(config);
}

/**
 * The SDK's own region chain (AWS_REGION, then the profile), borrowed from a bare client because
 * the SDK exports it from no package we depend on, with our error instead of "Region is missing".
 */
function regionFromChain(customEndpoint: boolean): () => Promise<string> {
  const chain = new S3Client({}).config.region;
  return async () => {
    try {
      return await chain();
    } catch (error) {
      if (customEndpoint) return compatibleStoreRegion;
      throw new ConfigError(
        'No AWS region is configured for S3: pass --region (or set IRSA_ISSUER_REGION or AWS_REGION). ' +
          'An issuer of the form https://BUCKET.s3.REGION.amazonaws.com/PREFIX names its region itself.',
        { cause: error },
      );
    }
  };
}

type Operation = 'read' | 'write';

/** The public documents in an S3 bucket (or an S3-compatible store), under a prefix. */
export class S3Store implements ObjectStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  /** `prefix`: `''` or `a/b`, no slashes at either end; keys given to get/put are relative to it. */
  constructor(client: S3Client, bucket: string, prefix: string) {
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.description = describeTarget({ kind: 's3', bucket, prefix });
  }

  async get(key: string, signal?: AbortSignal): Promise<StoredObject | undefined> {
    const fullKey = objectKey(this.#prefix, key);
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: fullKey }), {
        ...(signal === undefined ? {} : { abortSignal: signal }),
      });
      if ((response.ContentLength ?? 0) > maxDocumentBytes) {
        response.Body?.transformToWebStream()
          .cancel()
          .catch(() => undefined);
        throw new PublishError(
          `s3://${this.#bucket}/${fullKey} is ${String(response.ContentLength)} bytes, more than the ` +
            `${maxDocumentBytes} a discovery document or JWKS can be: it is not one this tool published. ` +
            'Check what the prefix holds, and publish to one of its own.',
        );
      }
      const body = response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
      if (response.ETag === undefined) {
        throw new PublishError(
          `s3://${this.#bucket}/${fullKey} came back without an ETag, so it cannot be replaced with a ` +
            `conditional write. ` +
            'The store does not behave like S3; use one that returns ETags.',
        );
      }
      return {
        body,
        etag: response.ETag,
        // S3 keeps both headers on every object: an absent one is "not set" (''), which the plan
        // must see as different from the value we want, unlike a directory that keeps none at all.
        contentType: response.ContentType ?? '',
        cacheControl: response.CacheControl ?? '',
      };
    } catch (error) {
      if (isIrsaIssuerError(error)) throw error;
      if (awsErrorName(error) === 'NoSuchKey') return undefined;
      if (denied(error) && (await this.#absent(fullKey, signal))) return undefined;
      throw await this.#wrap(error, 'read', fullKey, signal);
    }
  }

  /**
   * S3 answers a missing object with 403 rather than 404 unless the caller may list the bucket.
   * Treating every 403 as "absent" would switch off the guards that read what is published, so the
   * answer comes from a listing of exactly that key, which the documented policy allows through an
   * s3:prefix condition. True only when the listing succeeds and the key is not in it.
   */
  async #absent(fullKey: string, signal?: AbortSignal): Promise<boolean> {
    try {
      const listed = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: fullKey, MaxKeys: 1 }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return !(listed.Contents ?? []).some((object) => object.Key === fullKey);
    } catch {
      return false;
    }
  }

  async put(write: ObjectWrite, signal?: AbortSignal): Promise<WriteOutcome> {
    const fullKey = objectKey(this.#prefix, write.key);
    const condition =
      'ifMatch' in write.condition
        ? { IfMatch: write.condition.ifMatch }
        : { IfNoneMatch: write.condition.ifNoneMatch };
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: fullKey,
          Body: write.body,
          ContentType: write.contentType,
          CacheControl: write.cacheControl,
          ...condition,
        }),
        { ...(signal === undefined ? {} : { abortSignal: signal }) },
      );
      return 'written';
    } catch (error) {
      if (isIrsaIssuerError(error)) throw error;
      const name = awsErrorName(error);
      // 412: the ETag moved or the object appeared. 409: a concurrent conditional write won the race.
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
      if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') return 'conflict';
      // If-Match on an object someone deleted after we read it: S3 answers 404 NoSuchKey.
      if (name === 'NoSuchKey' && 'ifMatch' in write.condition) return 'conflict';
      throw await this.#wrap(error, 'write', fullKey, signal);
    }
  }

  async #wrap(error: unknown, operation: Operation, fullKey: string, signal?: AbortSignal): Promise<PublishError> {
    const name = awsErrorName(error);
    const where = `s3://${this.#bucket}/${fullKey}`;
    const doing = operation === 'read' ? `Reading ${where}` : `Writing ${where}`;
    if (signal?.aborted === true) {
      return new PublishError(
        `${doing} got no complete answer from ${await this.#endpoint()} before the stage's deadline (--timeout). ` +
          'Check the endpoint (--s3-endpoint), proxies and network policy; a store that accepts connections but ' +
          'never answers looks exactly like this.',
        { cause: error },
      );
    }
    const action = operation === 'read' ? 's3:GetObject' : 's3:PutObject';
    const bucketArn = `arn:${partitionOf(await this.#client.config.region())}:s3:::${this.#bucket}`;
    const resource = `${bucketArn}/${fullKey}`;
    const options = { cause: error };
    switch (name) {
      case 'NoSuchBucket':
        return new PublishError(
          `${doing} failed: the bucket ${this.#bucket} does not exist. Create it, with a bucket policy that lets ` +
            'anyone s3:GetObject the two documents (STS reads them anonymously), or fix the bucket name.',
          options,
        );
      case 'AccessDenied':
      case 'Forbidden':
        return new PublishError(
          `${doing} was denied: the credentials lack ${action} on ${resource}` +
            (operation === 'read'
              ? ` (or, if the object does not exist yet, s3:ListBucket on ${bucketArn} for the ` +
                `prefix ${fullKey}, which tells a missing object from a forbidden one).`
              : '.') +
            ` Grant ${action} on ${resource} in the publisher's IAM policy, and check that the bucket policy does ` +
            `not deny it.`,
          options,
        );
      case 'InvalidAccessKeyId':
      case 'SignatureDoesNotMatch':
      case 'InvalidToken':
      case 'ExpiredToken':
      case 'TokenRefreshRequired':
        return new PublishError(
          `${doing} failed: S3 rejected the credentials (${name}). Check the access key and secret (or refresh the ` +
            `session); with IRSA, check AWS_ROLE_ARN and the projected token.`,
          options,
        );
      case 'CredentialsProviderError':
        return new PublishError(
          `${doing} failed: no AWS credentials were found. Provide them through ` +
            `AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ` +
            'or (in a cluster) AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE, which the Helm chart sets.',
          options,
        );
      case 'NotImplemented': {
        const missing =
          operation === 'write'
            ? 'conditional PutObject (If-Match / If-None-Match), which irsa-issuer uses so two writers never ' +
              'silently overwrite each other'
            : 'this request';
        return new PublishError(
          `${doing} failed: ${await this.#endpoint()} does not implement ${missing}. ` +
            'Upgrade the store, or publish to a store that does.',
          options,
        );
      }
      default:
        break;
    }
    if (classifyNetworkError(error) !== undefined) {
      return new PublishError(
        `${doing} failed: could not reach ${await this.#endpoint()} (${describeCause(error)}). Check the endpoint ` +
          `(--s3-endpoint), DNS, proxies and network policy.`,
        options,
      );
    }
    return new PublishError(`${doing} failed: ${describeCause(error)}`, options);
  }

  /** Where requests went, for network errors: the custom endpoint, or S3's regional one. */
  async #endpoint(): Promise<string> {
    try {
      const custom = await this.#client.config.endpoint?.();
      if (custom)
        return `${custom.protocol}//${custom.hostname}${custom.port ? `:${custom.port}` : ''}${custom.path === '/' ? '' : custom.path}`;
      return `https://${this.#bucket}.s3.${await this.#client.config.region()}.amazonaws.com`;
    } catch {
      return `the S3 endpoint for bucket ${this.#bucket}`;
    }
  }
}

function denied(error: unknown): boolean {
  const name = awsErrorName(error);
  return name === 'AccessDenied' || name === 'Forbidden';
}

import type { IAMClient, IAMClientConfig } from '@aws-sdk/client-iam';
import { awsClientConfig, type AwsClientOptions } from '../aws-client.js';

export interface IamClientOptions extends AwsClientOptions {
  /**
   * IAM is global, but the region picks the partition (`cn-north-1` for China, `us-gov-west-1` for
   * GovCloud) and so the endpoint and signing region. Default us-east-1: the commercial partition.
   */
  readonly region?: string;
  /**
   * Only when explicitly asked for (tests, a proxy). Left unset, the SDK's own configuration applies,
   * including `AWS_ENDPOINT_URL_IAM` / `AWS_ENDPOINT_URL` and `endpoint_url` in the shared config.
   */
  readonly endpoint?: string;
  /** Default: the SDK's provider chain (env, profile, web identity, container, instance). */
  readonly credentials?: IAMClientConfig['credentials'];
  /** Attempts per call, first one included; the SDK backs off between them on throttling and 5xx. */
  readonly maxAttempts?: number;
}

/** IAM's control plane throttles bursts hard; a few more tries than the SDK's 3 ride them out. */
export const defaultIamMaxAttempts = 6;

/** Loads the IAM SDK on first use (sdk.ts says why). */
export async function createIamClient(options: IamClientOptions = {}): Promise<IAMClient> {
  const { IAMClient } = await import('./sdk.js');
  return new IAMClient({
    ...awsClientConfig(options),
    region: options.region ?? 'us-east-1',
    maxAttempts: options.maxAttempts ?? defaultIamMaxAttempts,
    retryMode: 'standard',
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
}

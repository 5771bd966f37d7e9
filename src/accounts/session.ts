/**
 * Into another account: STS AssumeRole from the run's own (base) credentials — in the cluster the
 * web-identity ones — and an IAM client that signs with what STS handed out. Credentials are kept
 * until five minutes before they expire, so a daemon asks STS about once an hour per account.
 */
// Types only: the SDK itself is loaded where it is used (sts.ts says why).
import type { STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig, type AwsClientOptions } from '../aws-client.js';
import { AssumeRoleError, awsErrorName, describeCause } from '../errors.js';
import { createIamClient, type ProviderApi } from '../iam/index.js';
import type { AccountRole } from './role.js';

/** What STS hands out, in the shape every SDK client takes as `credentials`. */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** The name CloudTrail shows in the role's account for every call a run makes there. */
export const accountSessionName = 'irsa-issuer';
/** STS's default and every role's minimum maximum: the longest a role always grants. */
const sessionSeconds = 3600;
const refreshBeforeMs = 5 * 60_000;

/** An `STSClient`, or anything that sends its commands the same way. */
export type AssumeApi = Pick<STSClient, 'send'>;

export interface StsClientOptions extends AwsClientOptions {
  readonly region: string;
  /** Tests only; AWS_ENDPOINT_URL_STS covers the rest. */
  readonly endpoint?: string;
  readonly credentials?: AwsCredentialIdentity;
}

/** STS, signed with the base credentials (the SDK's chain unless given). */
export async function createStsClient(options: StsClientOptions): Promise<STSClient> {
  const { STSClient } = await import('./sts.js');
  return new STSClient({
    ...awsClientConfig(options),
    region: options.region,
    maxAttempts: 4,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
}

function advice(error: unknown, role: AccountRole): string {
  switch (awsErrorName(error)) {
    case 'AccessDenied':
      return (
        `Either the base credentials may not sts:AssumeRole on ${role.roleArn}, or the role's trust policy does not ` +
        `name them${role.externalId === undefined ? '' : ' with this external ID'}. The registrar role's trust ` +
        'names the publisher role (README, "Many accounts"); check both sides.'
      );
    case 'RegionDisabled':
      return 'STS is not activated in this region for the base account: activate it, or pass another --region.';
    case 'InvalidClientTokenId':
    case 'ExpiredToken':
    case 'SignatureDoesNotMatch':
      return 'The base AWS credentials are invalid or expired: refresh them and run again.';
    default:
      return 'Check the network path to STS (or AWS_ENDPOINT_URL_STS) and the base credentials, then run again.';
  }
}

export interface AccountSession {
  /** Valid credentials for the role, from STS when the kept ones are gone or near expiry. */
  credentials(signal?: AbortSignal): Promise<AwsCredentialIdentity>;
}

export function accountSession(role: AccountRole, sts: AssumeApi, now: () => number = Date.now): AccountSession {
  let kept: AwsCredentialIdentity | undefined;
  return {
    async credentials(signal) {
      const expiry = kept?.expiration?.getTime();
      if (kept !== undefined && (expiry === undefined || expiry - now() > refreshBeforeMs)) return kept;
      let response;
      try {
        const { AssumeRoleCommand } = await import('./sts.js');
        response = await sts.send(
          new AssumeRoleCommand({
            RoleArn: role.roleArn,
            RoleSessionName: accountSessionName,
            DurationSeconds: sessionSeconds,
            ...(role.externalId === undefined ? {} : { ExternalId: role.externalId }),
          }),
          signal === undefined ? {} : { abortSignal: signal },
        );
      } catch (error) {
        const cause = describeCause(error).replace(/\.$/, '');
        throw new AssumeRoleError(`sts:AssumeRole on ${role.roleArn} failed: ${cause}. ${advice(error, role)}`, {
          cause: error,
        });
      }
      const issued = response.Credentials;
      if (issued?.AccessKeyId === undefined || issued.SecretAccessKey === undefined) {
        throw new AssumeRoleError(`sts:AssumeRole on ${role.roleArn} returned no credentials. Run again.`);
      }
      kept = {
        accessKeyId: issued.AccessKeyId,
        secretAccessKey: issued.SecretAccessKey,
        ...(issued.SessionToken === undefined ? {} : { sessionToken: issued.SessionToken }),
        ...(issued.Expiration === undefined ? {} : { expiration: issued.Expiration }),
      };
      return kept;
    },
  };
}

/** An IAM client in the role's account: it asks the session for credentials on every signing. */
export async function accountIamClient(
  session: AccountSession,
  options: AwsClientOptions & { readonly region: string; readonly endpoint?: string },
): Promise<ProviderApi> {
  return createIamClient({ ...options, credentials: () => session.credentials() });
}

/**
 * bootstrap's own AWS calls (the bucket's configuration, the publisher role), wrapped once as
 * sync's are: which action on what failed, and what to do. The provider and the documents go
 * through sync's stages and their own classifiers (iam/failure.ts, publish/s3.ts).
 */
import { awsErrorName, describeCause, IamError, PublishError } from '../errors.js';
import { classifyNetworkError } from '../network.js';

const policyPage = 'docs/iam-policy.md ("Who runs bootstrap")';

function advice(error: unknown, action: string): string {
  const name = awsErrorName(error);
  switch (name) {
    case 'AccessDenied':
    case 'Forbidden':
    case 'UnauthorizedOperation':
      return `The AWS credentials in use are not allowed ${action}. bootstrap needs the policy in ${policyPage}.`;
    case 'LimitExceeded':
      return action === 'iam:CreateRole'
        ? 'The account has reached its quota of IAM roles (1,000 by default, "Roles per account" in Service Quotas). ' +
            'Delete roles no longer in use or request an increase.'
        : 'IAM refused the request as over a quota; the message above names it.';
    case 'TooManyBuckets':
      return 'The account has reached its quota of S3 buckets ("General purpose buckets" in Service Quotas). Use an existing bucket (--bucket) or request an increase.';
    case 'MalformedPolicy':
      return 'IAM or S3 refused a policy document that bootstrap wrote; this is a bug, please report it.';
    case 'InvalidAccessKeyId':
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
    case 'ExpiredToken':
    case 'InvalidToken':
      return 'The AWS credentials are invalid or expired. Refresh them (or check AWS_PROFILE) and run again.';
    case 'CredentialsProviderError':
      return 'No AWS credentials were found. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.';
    default:
      if (classifyNetworkError(error) !== undefined)
        return 'AWS could not be reached: check the network, proxies and AWS_ENDPOINT_URL_* variables.';
      return 'Check the message above, the credentials and the network, then run again.';
  }
}

/** `s3:PutBucketPolicy on arn:aws:s3:::B failed: AccessDenied: ... <what to do>`. */
export function bucketFailure(error: unknown, action: string, resource: string): PublishError {
  return new PublishError(
    `${action} on ${resource} failed: ${describeCause(error).replace(/\.$/, '')}. ${advice(error, action)}`,
    { cause: error },
  );
}

export function roleFailure(error: unknown, action: string, resource: string): IamError {
  return new IamError(
    `${action} on ${resource} failed: ${describeCause(error).replace(/\.$/, '')}. ${advice(error, action)}`,
    { cause: error },
  );
}

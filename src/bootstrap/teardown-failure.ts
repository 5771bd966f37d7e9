/**
 * What teardown calls, and so what its credentials need (docs/iam-policy.md, section "teardown"),
 * and how an S3 failure on the bucket is named: the action, the resource, S3's words, what to do.
 * IAM failures go through iam's own `iamError`, as sync's do.
 */
import { awsErrorName, describeCause, PublishError } from '../errors.js';
import { classifyNetworkError } from '../network.js';

/** Every IAM action teardown calls; reads first. A plan without `--yes` calls only the reads. */
export const teardownIamActions = [
  'ListOpenIDConnectProviders',
  'GetOpenIDConnectProvider',
  'ListOpenIDConnectProviderTags',
  'ListRoles',
  'GetRole',
  'ListRolePolicies',
  'ListAttachedRolePolicies',
  'DeleteOpenIDConnectProvider',
  'DeleteRolePolicy',
  'DetachRolePolicy',
  'DeleteRole',
] as const;
export type TeardownIamAction = (typeof teardownIamActions)[number];

/**
 * The S3 permissions teardown needs. Deleting a version by its VersionId is authorised as
 * s3:DeleteObjectVersion; listing versions as s3:ListBucketVersions.
 */
export type TeardownS3Action =
  | 's3:ListBucketVersions'
  | 's3:GetObject'
  | 's3:DeleteObjectVersion'
  | 's3:GetBucketPolicy'
  | 's3:PutBucketPolicy'
  | 's3:DeleteBucketPolicy'
  | 's3:GetBucketTagging'
  | 's3:DeleteBucket';

const iamPolicyDoc = 'docs/iam-policy.md';

function advice(name: string | undefined, action: TeardownS3Action, resource: string): string {
  switch (name) {
    case 'AccessDenied':
    case 'Forbidden':
      return (
        `The AWS credentials in use are not allowed ${action} on ${resource}. Grant it (the teardown policy in ` +
        `${iamPolicyDoc}), and check that the bucket policy does not deny it.`
      );
    case 'NoSuchBucket':
      return 'The bucket was deleted meanwhile; run teardown again to see what is left.';
    case 'BucketNotEmpty':
      return 'Something wrote to the bucket after the plan was made (is the in-cluster job still running?). Stop it and run teardown again.';
    case 'MalformedPolicy':
      return 'S3 refused the policy without the statement; fix the bucket policy by hand (aws s3api get-bucket-policy).';
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'InvalidToken':
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
      return 'S3 rejected the credentials; check the access key and secret (or refresh the session) and run again.';
    case 'CredentialsProviderError':
      return 'No AWS credentials were found. Set AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.';
    default:
      return 'Check the S3 endpoint, network and credentials, then run again; teardown picks up where it stopped.';
  }
}

/** Wraps an S3 SDK error once: which action on what, S3's own words, and what to do. */
export function s3Error(error: unknown, action: TeardownS3Action, resource: string): PublishError {
  const name = awsErrorName(error);
  const reached = classifyNetworkError(error) === undefined ? '' : ' (S3 could not be reached)';
  return new PublishError(
    `${action} on ${resource} failed${reached}: ${describeCause(error).replace(/\.$/, '')}. ` +
      advice(name, action, resource),
    { cause: error },
  );
}

import { awsErrorName, describeCause, IamError } from '../errors.js';

/**
 * Every IAM action the register stage calls, and so every action its credentials need
 * (docs/iam-policy.md holds the least-privilege policy). `ListOpenIDConnectProviders` supports no
 * resource-level permission (Resource "*"); the others can be scoped to the provider's ARN.
 * `TagOpenIDConnectProvider` is needed on create too: IAM authorises tags passed at creation
 * against it. No Delete and no Untag: irsa-issuer never removes a provider or a tag.
 */
export const providerIamActions = [
  'ListOpenIDConnectProviders',
  'GetOpenIDConnectProvider',
  'ListOpenIDConnectProviderTags',
  'CreateOpenIDConnectProvider',
  'UpdateOpenIDConnectProviderThumbprint',
  'AddClientIDToOpenIDConnectProvider',
  'RemoveClientIDFromOpenIDConnectProvider',
  'TagOpenIDConnectProvider',
] as const;
export type IamAction = (typeof providerIamActions)[number];

/** The read-only subset: all a `--dry-run` (or `verify`) needs. */
export const providerIamReadActions: readonly IamAction[] = [
  'ListOpenIDConnectProviders',
  'GetOpenIDConnectProvider',
  'ListOpenIDConnectProviderTags',
];

const iamPolicyDoc = 'docs/iam-policy.md';
const providerQuota = 100;
const clientIdQuota = 100;
const tagQuota = 50;

function attempts(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata;
  return typeof metadata?.attempts === 'number' ? metadata.attempts : undefined;
}

function advice(error: unknown, action: string): string {
  switch (awsErrorName(error)) {
    case 'AccessDenied':
    case 'UnauthorizedOperation':
      return (
        `The AWS credentials in use are not allowed iam:${action}. Grant it, with the other actions irsa-issuer ` +
        `needs, using the least-privilege policy in ${iamPolicyDoc}.`
      );
    case 'LimitExceeded':
      if (action === 'CreateOpenIDConnectProvider') {
        return (
          `The account has reached its quota of IAM OIDC identity providers (${providerQuota} by default). ` +
          `Delete providers no longer in use (aws iam list-open-id-connect-providers), or request an increase in the ` +
          `Service Quotas console (service "AWS Identity and Access Management (IAM)", quota "OpenId connect ` +
          `providers per account").`
        );
      }
      if (action === 'AddClientIDToOpenIDConnectProvider') {
        return (
          `An IAM OIDC provider holds at most ${clientIdQuota} client IDs (audiences). Remove ones no longer ` +
          `used; --prune-audiences removes every audience not requested.`
        );
      }
      if (action === 'TagOpenIDConnectProvider') {
        return (
          `An IAM resource holds at most ${tagQuota} tags, counting the ones irsa-issuer did not set. Remove ` +
          `some from the provider or ask for fewer.`
        );
      }
      return 'IAM refused the request as over a quota; the message above names it.';
    case 'Throttling':
    case 'TooManyRequests':
    case 'RequestLimitExceeded': {
      const tries = attempts(error);
      return (
        `IAM kept throttling the request${tries ? ` after ${tries} attempts with backoff` : ''}. Run again ` +
        `later, or spread out the runs that share this account.`
      );
    }
    case 'EntityAlreadyExists':
      return 'Another writer created the provider at the same time, twice in a row. Run again once it has settled.';
    case 'ConcurrentModification':
      return 'Another writer changed the provider at the same time. Run again.';
    case 'NoSuchEntity':
      return 'The provider was deleted while this run was reconciling it. Run again to create it.';
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
    case 'ExpiredToken':
    case 'InvalidToken':
      return (
        'The AWS credentials are invalid or expired. Refresh them (or check AWS_PROFILE / AWS_ROLE_ARN + ' +
        'AWS_WEB_IDENTITY_TOKEN_FILE) and run again.'
      );
    case 'CredentialsProviderError':
      return (
        'No AWS credentials were found. Set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or ' +
        'AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE.'
      );
    case 'InvalidInput':
    case 'Validation':
    case 'ValidationError':
      return 'IAM rejected a value; the message above names it.';
    default:
      return 'Check the AWS endpoint, network and credentials, then run again.';
  }
}

/**
 * Wraps an SDK error once, at the stage boundary: which action on what, IAM's own words, and what
 * to do. The SDK error stays reachable as `cause`. `action`: one of providerIamActions, or of the
 * other commands' lists (teardown's roles and deletes), without the `iam:` prefix.
 */
export function iamError(error: unknown, action: string, subject: string, context = ''): IamError {
  return new IamError(
    `iam:${action} on ${subject} failed: ${describeCause(error).replace(/\.$/, '')}.${context ? ` ${context}` : ''} ` +
      advice(error, action),
    { cause: error },
  );
}

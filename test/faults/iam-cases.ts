/**
 * IAM failing while the provider is registered, after both documents are published: throttling
 * the SDK rides out, refusals that end the run with the action to grant, a quota, and a create
 * that loses the race to a second writer. The published documents stay as written, and the next
 * run converges.
 */
import { CreateOpenIDConnectProviderCommand, IAMClient } from '@aws-sdk/client-iam';
import { awsQueryError } from '../stand/fault-responses.js';
import { expect } from 'vitest';
import type { FaultCase } from './case.js';
import { credentials, issuer, thumbprint, type FaultWorld } from './world.js';

const list = 'ListOpenIDConnectProviders';
const create = 'CreateOpenIDConnectProvider';
const published = ['jwks', 'discovery'] as const;

/** Another writer (a second CronJob, a person with the console) creates the provider first. */
async function createProviderBehindOurBack(world: FaultWorld): Promise<void> {
  await world.aws.waitForHit('create held');
  const iam = new IAMClient({ region: 'us-east-1', endpoint: world.moto.endpoint, credentials, maxAttempts: 1 });
  try {
    await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: issuer,
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: ['0'.repeat(40)],
      }),
    );
  } finally {
    iam.destroy();
  }
  world.aws.release('create');
}

export const iamCases: readonly FaultCase[] = [
  {
    name: 'IAM accepts ListOpenIDConnectProviders and never answers: stopped at the deadline, the published documents reported',
    aws: [{ awsAction: list, action: { kind: 'blackhole' } }],
    args: ['--timeout', '3'],
    deadlineMs: 30_000,
    exit: 1,
    failedStage: 'register',
    stderr: /register stage did not finish within 3 s/,
    landed: published,
  },
  {
    name: 'IAM refuses with a message that echoes the secret key: it is never printed',
    aws: [
      {
        awsAction: list,
        action: {
          kind: 'respond',
          response: awsQueryError(403, 'InvalidClientTokenId', {
            message: `The security token included in the request is invalid (${credentials.secretAccessKey}).`,
          }),
        },
      },
    ],
    exit: 1,
    failedStage: 'register',
    stderr: /InvalidClientTokenId/,
    landed: published,
  },
  {
    // The SDK counts LimitExceeded as throttling and retries it six times with backoff (seconds to tens of seconds).
    name: 'the account is at its quota of OIDC providers (LimitExceeded)',
    aws: [{ awsAction: create, action: { kind: 'respond', response: awsQueryError(409, 'LimitExceeded') } }],
    exit: 1,
    failedStage: 'register',
    stderr:
      /iam:CreateOpenIDConnectProvider .* failed: LimitExceeded.* quota of IAM OIDC identity providers.*Service Quotas/s,
    landed: published,
  },
  {
    name: 'IAM throttles the first ListOpenIDConnectProviders; the SDK backs off and gets through',
    aws: [{ awsAction: list, nth: 1, action: { kind: 'respond', response: awsQueryError(400, 'Throttling') } }],
    exit: 0,
    steps: { publish: 'changed', register: 'changed' },
    landed: published,
  },
  {
    name: 'IAM throttles the first CreateOpenIDConnectProvider; the SDK backs off and creates it',
    aws: [{ awsAction: create, nth: 1, action: { kind: 'respond', response: awsQueryError(400, 'Throttling') } }],
    exit: 0,
    steps: { publish: 'changed', register: 'changed' },
    landed: published,
  },
  {
    name: 'the credentials may not ListOpenIDConnectProviders (AccessDenied)',
    aws: [{ awsAction: list, action: { kind: 'respond', response: awsQueryError(403, 'AccessDenied') } }],
    exit: 1,
    failedStage: 'register',
    stderr:
      /iam:ListOpenIDConnectProviders .* failed: AccessDenied.* not allowed iam:ListOpenIDConnectProviders.*docs\/iam-policy\.md/s,
    landed: published,
  },
  {
    name: 'the credentials may not CreateOpenIDConnectProvider (AccessDenied)',
    aws: [{ awsAction: create, action: { kind: 'respond', response: awsQueryError(403, 'AccessDenied') } }],
    exit: 1,
    failedStage: 'register',
    stderr:
      /iam:CreateOpenIDConnectProvider .* failed: AccessDenied.* not allowed iam:CreateOpenIDConnectProvider.*docs\/iam-policy\.md/s,
    landed: published,
  },
  {
    name: 'IAM says the provider already exists (EntityAlreadyExists) but does not list it',
    aws: [{ awsAction: create, action: { kind: 'respond', response: awsQueryError(409, 'EntityAlreadyExists') } }],
    exit: 1,
    failedStage: 'register',
    stderr: /already exists, but it is not listed/,
    landed: published,
  },
  {
    name: 'another writer creates the provider between our read and our create (a real EntityAlreadyExists); we reconcile against it',
    aws: [{ name: 'create held', awsAction: create, nth: 1, action: { kind: 'hold', gate: 'create' } }],
    meanwhile: createProviderBehindOurBack,
    exit: 0,
    steps: { publish: 'changed', register: 'changed' },
    stderr: /another writer created the provider first; reconciling against it/,
    landed: published,
    afterwards: async (world) => {
      // The other writer's thumbprint stays beside ours: staged thumbprints are kept (--prune-thumbprints).
      expect((await world.provider())?.ThumbprintList).toEqual([thumbprint, '0'.repeat(40)]);
    },
  },
];

/**
 * docs/iam-policy.md is what users attach to the publisher's credentials: an action the code calls
 * but the policy lacks is an AccessDenied in production, an action it grants but the code never
 * calls is privilege for nothing. Both lists are read from their sources, not restated here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { providerIamActions } from '../../src/iam/failure.js';

const services = {
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-s3-control': 's3control',
} as const;

/**
 * Calls whose IAM action has another name than the call: listing a bucket is s3:ListBucket; teardown's
 * listing of versions is s3:ListBucketVersions, and its deletes name a VersionId: s3:DeleteObjectVersion.
 */
const actionOfCall: Readonly<Record<string, string>> = {
  's3:ListObjectsV2': 's3:ListBucket',
  's3:HeadBucket': 's3:ListBucket',
  's3:ListBuckets': 's3:ListAllMyBuckets',
  's3:GetPublicAccessBlock': 's3:GetBucketPublicAccessBlock',
  's3:PutPublicAccessBlock': 's3:PutBucketPublicAccessBlock',
  's3control:GetPublicAccessBlock': 's3:GetAccountPublicAccessBlock',
  's3:ListObjectVersions': 's3:ListBucketVersions',
  's3:DeleteObjects': 's3:DeleteObjectVersion',
};

/**
 * `s3:GetObject` for every `GetObjectCommand` that the files under `directory` import from the AWS
 * clients, or re-export from them (iam/sdk.ts, which loads the IAM SDK when first used).
 */
async function actionsTheCodeCalls(directory = 'src'): Promise<Set<string>> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  const actions = new Set<string>();
  for (const entry of entries.filter((candidate) => candidate.isFile() && candidate.name.endsWith('.ts'))) {
    const text = await readFile(join(entry.parentPath, entry.name), 'utf8');
    for (const [module, service] of Object.entries(services)) {
      for (const match of text.matchAll(new RegExp(`(?:import|export) \\{([^}]*)\\} from '${module}'`, 'g'))) {
        // `GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand`: the imported name decides.
        for (const name of (match[1] ?? '').split(',').map((part) => part.trim().split(/\s+as\s+/)[0] ?? '')) {
          const command = /^(\w+)Command$/.exec(name);
          const call = `${service}:${command?.[1] ?? ''}`;
          if (command) actions.add(actionOfCall[call] ?? call);
        }
      }
    }
  }
  return actions;
}

async function actionsThePolicyGrants(): Promise<Set<string>> {
  const doc = await readFile('docs/iam-policy.md', 'utf8');
  const actions = new Set<string>();
  for (const block of doc.matchAll(/```json\n([\s\S]*?)```/g)) {
    const policy = JSON.parse(block[1] ?? '') as { Statement: { Action: string | string[] }[] };
    for (const statement of policy.Statement) {
      // sts:AssumeRole (the base credentials into --account-role roles) is granted, never imported from S3 or IAM.
      for (const action of [statement.Action].flat()) if (/^(s3|iam):/.test(action)) actions.add(action);
    }
  }
  return actions;
}

describe('docs/iam-policy.md', () => {
  it('grants exactly the S3 and IAM actions the code calls', async () => {
    const called = await actionsTheCodeCalls();
    expect(called).toContain('s3:PutObject');
    expect([...(await actionsThePolicyGrants())].sort()).toEqual([...called].sort());
  });

  it('names the same IAM actions that the register stage says it needs', async () => {
    // src/iam is the register stage; bootstrap, teardown and src/accounts have their own blocks in the doc.
    const called = [...(await actionsTheCodeCalls('src/iam'))].filter((action) => action.startsWith('iam:'));
    expect(providerIamActions.map((action) => `iam:${action}`).sort()).toEqual(called.sort());
  });
});

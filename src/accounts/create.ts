/**
 * Creates the registrar role in an account, or brings the one it made there back to what
 * it should be: idempotent (a second call writes nothing), and never touching a role of the same
 * name that carries no sign of being ours for this issuer.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { awsErrorName, describeCause, ForeignRoleError, IamError } from '../errors.js';
import { registrarRole, type RegistrarSpec } from './registrar.js';

/** IAM, with the caller's (admin) credentials in the role's account. */
export type RoleApi = Pick<IAMClient, 'send'>;

export interface RegistrarOutcome {
  readonly roleArn: string;
  /** `planned`: a dry run found these changes and made none. */
  readonly status: 'created' | 'changed' | 'unchanged' | 'planned';
  readonly changes: readonly string[];
}

async function call<T>(what: string, roleName: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const denied = awsErrorName(error) === 'AccessDenied';
    throw new IamError(
      `iam:${what} on role ${roleName} failed: ${describeCause(error).replace(/\.$/, '')}. ` +
        (denied
          ? `Creating registrar roles needs iam:${what} (docs/iam-policy.md, "Registrar roles") in that account.`
          : 'Check the credentials for that account and run again.'),
      { cause: error },
    );
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof IamError && awsErrorName(error.cause) === 'NoSuchEntity';
}

/** IAM hands policy documents back URL-encoded. */
function document(encoded: string | undefined): unknown {
  if (encoded === undefined) return undefined;
  try {
    return JSON.parse(decodeURIComponent(encoded)) as unknown;
  } catch {
    return undefined;
  }
}

export async function ensureRegistrarRole(
  api: RoleApi,
  spec: RegistrarSpec,
  options: { readonly dryRun: boolean },
): Promise<RegistrarOutcome> {
  const role = registrarRole(spec);
  const { roleName, roleArn } = role;
  const tags = Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value }));
  const existing = await call('GetRole', roleName, () => api.send(new GetRoleCommand({ RoleName: roleName }))).catch(
    (error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    },
  );

  if (existing?.Role === undefined) {
    const changes = [
      `create role ${roleArn} trusting ${spec.publisherRoleArn}`,
      `put inline policy ${role.policyName}`,
    ];
    if (options.dryRun) return { roleArn, status: 'planned', changes };
    await call('CreateRole', roleName, () =>
      api.send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: JSON.stringify(role.trustPolicy),
          Description: `Registrar (irsa-issuer) of ${spec.clusterName}: keeps the OIDC provider of ${spec.issuer.url}`,
          Tags: tags,
        }),
      ),
    );
    await call('PutRolePolicy', roleName, () =>
      api.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: role.policyName,
          PolicyDocument: JSON.stringify(role.permissions),
        }),
      ),
    );
    return { roleArn, status: 'created', changes };
  }

  const actualTags: Record<string, string | undefined> = {};
  for (const tag of existing.Role.Tags ?? []) if (tag.Key !== undefined) actualTags[tag.Key] = tag.Value;
  if (
    actualTags['irsa-issuer/managed-by'] !== role.tags['irsa-issuer/managed-by'] ||
    actualTags['irsa-issuer/issuer'] !== role.tags['irsa-issuer/issuer']
  ) {
    throw new ForeignRoleError(
      `Role ${roleArn} exists but is not the registrar irsa-issuer's bootstrap made for ${spec.issuer.url} (it lacks the tags ` +
        `irsa-issuer/issuer=${spec.issuer.url} or irsa-issuer/managed-by=irsa-issuer); it was left alone. ` +
        'Pick another role name, or delete that role if it is a leftover.',
    );
  }

  const changes: string[] = [];
  const writes: (() => Promise<unknown>)[] = [];
  if (!isDeepStrictEqual(document(existing.Role.AssumeRolePolicyDocument), role.trustPolicy)) {
    changes.push(`update the trust policy of ${roleArn} to trust ${spec.publisherRoleArn}`);
    writes.push(() =>
      call('UpdateAssumeRolePolicy', roleName, () =>
        api.send(
          new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: JSON.stringify(role.trustPolicy) }),
        ),
      ),
    );
  }
  const inline = await call('GetRolePolicy', roleName, () =>
    api.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: role.policyName })),
  ).catch((error: unknown) => {
    if (isMissing(error)) return undefined;
    throw error;
  });
  if (!isDeepStrictEqual(document(inline?.PolicyDocument), role.permissions)) {
    changes.push(`put inline policy ${role.policyName}`);
    writes.push(() =>
      call('PutRolePolicy', roleName, () =>
        api.send(
          new PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: role.policyName,
            PolicyDocument: JSON.stringify(role.permissions),
          }),
        ),
      ),
    );
  }
  const missingTags = tags.filter((tag) => actualTags[tag.Key] !== tag.Value);
  if (missingTags.length > 0) {
    changes.push(`tag ${missingTags.map((tag) => `${tag.Key}=${tag.Value}`).join(', ')}`);
    writes.push(() =>
      call('TagRole', roleName, () => api.send(new TagRoleCommand({ RoleName: roleName, Tags: missingTags }))),
    );
  }
  if (changes.length === 0) return { roleArn, status: 'unchanged', changes };
  if (options.dryRun) return { roleArn, status: 'planned', changes };
  for (const write of writes) await write();
  return { roleArn, status: 'changed', changes };
}

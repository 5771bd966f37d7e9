/**
 * The IAM side of teardown: the publisher role (with what is attached to it), and every role in the
 * account whose trust policy names the provider as a Federated principal. Reads return data; the
 * deletes are separate functions the applier calls in order. "Already gone" is never a failure.
 */
import {
  DeleteOpenIDConnectProviderCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { awsErrorName } from '../errors.js';
import { iamError, type ProviderApi } from '../iam/index.js';
import { isJsonObject, parseJson } from '../json.js';

/** A role as teardown needs it: its tags, and what must go before IAM lets it be deleted. */
export interface ActualRole {
  readonly name: string;
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly inlinePolicies: readonly string[];
  readonly attachedPolicyArns: readonly string[];
}

/** Every item of a Marker-paginated IAM listing. */
async function pages<T>(
  fetch: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    all.push(...page.items);
    marker = page.next;
  } while (marker !== undefined);
  return all;
}

/** The role named `name`, undefined when the account has none. */
export async function readRole(iam: ProviderApi, name: string): Promise<ActualRole | undefined> {
  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchEntity') return undefined;
    throw iamError(error, 'GetRole', `the role ${name}`);
  }
  if (role === undefined) return undefined;
  const tags = Object.fromEntries((role.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  try {
    const inlinePolicies = await pages(async (marker) => {
      const page = await iam.send(
        new ListRolePoliciesCommand({ RoleName: name, ...(marker ? { Marker: marker } : {}) }),
      );
      return { items: page.PolicyNames ?? [], next: page.IsTruncated === true ? page.Marker : undefined };
    });
    const attachedPolicyArns = await pages(async (marker) => {
      const page = await iam.send(
        new ListAttachedRolePoliciesCommand({ RoleName: name, ...(marker ? { Marker: marker } : {}) }),
      );
      const arns = (page.AttachedPolicies ?? []).flatMap((policy) => (policy.PolicyArn ? [policy.PolicyArn] : []));
      return { items: arns, next: page.IsTruncated === true ? page.Marker : undefined };
    });
    return { name, arn: role.Arn ?? name, tags, inlinePolicies, attachedPolicyArns };
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchEntity') return undefined;
    throw iamError(error, 'ListRolePolicies', `the role ${name}`, '(listing its inline and attached policies)');
  }
}

/**
 * IAM returns trust policies URL-encoded (RFC 3986); some stand-ins return them plain. A document
 * that is not JSON either way is read as text, so an unreadable one still counts when it names the
 * provider: refusing wrongly costs a --force, deleting wrongly costs an outage.
 */
export function trustsProvider(document: string, providerArn: string): boolean {
  const text = parseJson(document) === undefined ? safeDecode(document) : document;
  const parsed = parseJson(text);
  if (!isJsonObject(parsed)) return text.includes(providerArn);
  const statements: unknown[] = [parsed.Statement ?? []].flat();
  return statements.some((statement) => {
    if (!isJsonObject(statement) || statement.Effect !== 'Allow') return false;
    const principal = statement.Principal;
    return isJsonObject(principal) && [principal.Federated ?? []].flat().includes(providerArn);
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The names of every role in the account whose trust policy allows the provider as a Federated principal. */
export async function rolesTrusting(iam: ProviderApi, providerArn: string): Promise<string[]> {
  try {
    const roles = await pages(async (marker) => {
      const page = await iam.send(new ListRolesCommand(marker ? { Marker: marker } : {}));
      return { items: page.Roles ?? [], next: page.IsTruncated === true ? page.Marker : undefined };
    });
    return roles
      .filter((role) => role.RoleName !== undefined && trustsProvider(role.AssumeRolePolicyDocument ?? '', providerArn))
      .map((role) => role.RoleName ?? '')
      .sort();
  } catch (error) {
    throw iamError(error, 'ListRoles', 'the roles of the account', `(looking for roles that trust ${providerArn})`);
  }
}

function gone(error: unknown): boolean {
  return awsErrorName(error) === 'NoSuchEntity';
}

/** Inline policies, then attached ones, then the role: IAM refuses to delete a role with either left. */
export async function deleteRole(iam: ProviderApi, role: ActualRole): Promise<void> {
  for (const policy of role.inlinePolicies) {
    try {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: policy }));
    } catch (error) {
      if (!gone(error)) throw iamError(error, 'DeleteRolePolicy', `the inline policy ${policy} of role ${role.name}`);
    }
  }
  for (const arn of role.attachedPolicyArns) {
    try {
      await iam.send(new DetachRolePolicyCommand({ RoleName: role.name, PolicyArn: arn }));
    } catch (error) {
      if (!gone(error)) throw iamError(error, 'DetachRolePolicy', `the policy ${arn} attached to role ${role.name}`);
    }
  }
  try {
    await iam.send(new DeleteRoleCommand({ RoleName: role.name }));
  } catch (error) {
    if (gone(error)) return;
    const context =
      awsErrorName(error) === 'DeleteConflict'
        ? 'Its inline policies are deleted and managed ones detached already, but something bootstrap never adds is ' +
          'still attached (an instance profile, or a policy added since the plan); remove it ' +
          '(aws iam list-instance-profiles-for-role) and run teardown again.'
        : '';
    throw iamError(error, 'DeleteRole', `the role ${role.name}`, context);
  }
}

export async function deleteProvider(iam: ProviderApi, arn: string): Promise<void> {
  try {
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
  } catch (error) {
    if (!gone(error)) throw iamError(error, 'DeleteOpenIDConnectProvider', arn);
  }
}

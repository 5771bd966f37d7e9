/**
 * A role that trusts this issuer, created or brought up to date idempotently: its trust policy, at
 * most one inline policy, managed policies attached, and irsa-issuer's tags. A role of that name
 * that irsa-issuer did not make for this issuer is refused, never adopted.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { awsErrorName, UnmanagedResourceError } from '../errors.js';
import { roleFailure } from './failure.js';
import { isManagedFor, issuerTag, managedByTag } from './names.js';
import { parsePolicy, samePolicy, type PolicyDocument } from './policies.js';

export type RoleApi = Pick<IAMClient, 'send'>;

export interface RoleSpec {
  readonly name: string;
  /** The issuer the role is for: its tags must name it. */
  readonly issuerUrl: string;
  readonly description: string;
  readonly trust: PolicyDocument;
  readonly inlinePolicy?: { readonly name: string; readonly document: PolicyDocument };
  readonly managedPolicyArns: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

export type RoleChange =
  | { readonly kind: 'create'; readonly description: string }
  | { readonly kind: 'trust'; readonly description: string }
  | { readonly kind: 'inline-policy'; readonly description: string }
  | { readonly kind: 'attach'; readonly policyArn: string; readonly description: string }
  | { readonly kind: 'tag'; readonly tags: Readonly<Record<string, string>>; readonly description: string };

export interface RolePlan {
  readonly name: string;
  /** The existing role's ARN; absent when the plan creates it. */
  readonly arn?: string;
  readonly changes: readonly RoleChange[];
  /** Managed policies attached that were not asked for: left alone. */
  readonly notes: readonly string[];
}

interface ActualRole {
  readonly arn: string;
  readonly trust: unknown;
  readonly tags: Record<string, string>;
  readonly inline?: unknown;
  readonly attached: readonly string[];
}

async function readRole(spec: RoleSpec, api: RoleApi): Promise<ActualRole | undefined> {
  const subject = `role ${spec.name}`;
  let role;
  try {
    role = (await api.send(new GetRoleCommand({ RoleName: spec.name }))).Role;
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchEntity') return undefined;
    throw roleFailure(error, 'iam:GetRole', subject);
  }
  const tags: Record<string, string> = {};
  try {
    let marker: string | undefined;
    do {
      const page = await api.send(
        new ListRoleTagsCommand({ RoleName: spec.name, ...(marker ? { Marker: marker } : {}) }),
      );
      for (const tag of page.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
      marker = page.IsTruncated === true ? page.Marker : undefined;
    } while (marker !== undefined);
  } catch (error) {
    throw roleFailure(error, 'iam:ListRoleTags', subject);
  }
  // Nothing more is read from a role that is not ours: it is refused whatever it holds.
  if (!isManagedFor(tags, spec.issuerUrl)) {
    return { arn: role?.Arn ?? '', trust: undefined, tags, attached: [] };
  }
  let inline: unknown;
  if (spec.inlinePolicy !== undefined) {
    try {
      const got = await api.send(new GetRolePolicyCommand({ RoleName: spec.name, PolicyName: spec.inlinePolicy.name }));
      inline = parsePolicy(got.PolicyDocument);
    } catch (error) {
      if (awsErrorName(error) !== 'NoSuchEntity') throw roleFailure(error, 'iam:GetRolePolicy', subject);
    }
  }
  const attached: string[] = [];
  try {
    let marker: string | undefined;
    do {
      const page = await api.send(
        new ListAttachedRolePoliciesCommand({ RoleName: spec.name, ...(marker ? { Marker: marker } : {}) }),
      );
      for (const policy of page.AttachedPolicies ?? []) if (policy.PolicyArn) attached.push(policy.PolicyArn);
      marker = page.IsTruncated === true ? page.Marker : undefined;
    } while (marker !== undefined);
  } catch (error) {
    throw roleFailure(error, 'iam:ListAttachedRolePolicies', subject);
  }
  return {
    arn: role?.Arn ?? '',
    trust: parsePolicy(role?.AssumeRolePolicyDocument),
    tags,
    ...(inline === undefined ? {} : { inline }),
    attached,
  };
}

function refusal(spec: RoleSpec, tags: Readonly<Record<string, string>>): UnmanagedResourceError {
  const whose =
    tags[managedByTag] === undefined
      ? `it has no ${managedByTag} tag, so irsa-issuer did not create it`
      : `its ${issuerTag} tag names ${JSON.stringify(tags[issuerTag] ?? '')}, another issuer`;
  return new UnmanagedResourceError(
    `The IAM role ${spec.name} already exists, but ${whose}. irsa-issuer will not change a role it did not make for ` +
      `${spec.issuerUrl}. Nothing was written. Pass another --role-name, or delete or rename that role if it is ` +
      'really unused.',
  );
}

/** Read-only: what must change for the role to be as specified. Refuses (exit 3) a role that is not ours. */
export async function planRole(spec: RoleSpec, api: RoleApi): Promise<RolePlan> {
  const actual = await readRole(spec, api);
  if (actual === undefined) {
    const extras = [
      ...(spec.inlinePolicy === undefined ? [] : [`inline policy ${spec.inlinePolicy.name}`]),
      ...spec.managedPolicyArns.map((arn) => `attached ${arn}`),
    ];
    return {
      name: spec.name,
      changes: [
        {
          kind: 'create',
          description: `create role ${spec.name}, trusting ${spec.issuerUrl}${extras.length > 0 ? `; ${extras.join('; ')}` : ''}`,
        },
      ],
      notes: [],
    };
  }
  if (!isManagedFor(actual.tags, spec.issuerUrl)) throw refusal(spec, actual.tags);
  const changes: RoleChange[] = [];
  if (!samePolicy(actual.trust, spec.trust)) {
    changes.push({
      kind: 'trust',
      description: `trust policy of ${spec.name}: replace with the one for ${spec.issuerUrl}`,
    });
  }
  if (spec.inlinePolicy !== undefined && !samePolicy(actual.inline, spec.inlinePolicy.document)) {
    changes.push({
      kind: 'inline-policy',
      description: `inline policy ${spec.inlinePolicy.name}: ${actual.inline === undefined ? 'add' : 'replace'}`,
    });
  }
  for (const policyArn of spec.managedPolicyArns) {
    if (!actual.attached.includes(policyArn))
      changes.push({ kind: 'attach', policyArn, description: `attach ${policyArn}` });
  }
  const missingTags = Object.fromEntries(
    Object.entries(spec.tags).filter(([key, value]) => actual.tags[key] !== value),
  );
  if (Object.keys(missingTags).length > 0) {
    const list = Object.entries(missingTags).map(([key, value]) => `${key}=${value}`);
    changes.push({ kind: 'tag', tags: missingTags, description: `tags: ${list.join(', ')}` });
  }
  const notes = actual.attached
    .filter((arn) => !spec.managedPolicyArns.includes(arn))
    .map((arn) => `kept attached policy ${arn} (not asked for)`);
  return { name: spec.name, arn: actual.arn, changes, notes };
}

function tagList(tags: Readonly<Record<string, string>>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Makes the planned changes; returns the role's ARN. `changed` is called as each change lands. */
export async function applyRole(
  plan: RolePlan,
  spec: RoleSpec,
  api: RoleApi,
  changed: (change: string) => void = () => undefined,
): Promise<string> {
  let arn = plan.arn;
  const subject = `role ${spec.name}`;
  for (const change of plan.changes) {
    switch (change.kind) {
      case 'create':
        try {
          const created = await api.send(
            new CreateRoleCommand({
              RoleName: spec.name,
              Description: spec.description,
              AssumeRolePolicyDocument: JSON.stringify(spec.trust),
              Tags: tagList(spec.tags),
            }),
          );
          arn = created.Role?.Arn;
        } catch (error) {
          throw roleFailure(error, 'iam:CreateRole', subject);
        }
        changed(change.description);
        if (spec.inlinePolicy !== undefined) await putInline(spec, api, subject);
        for (const policyArn of spec.managedPolicyArns) await attach(spec, policyArn, api, subject);
        break;
      case 'trust':
        try {
          await api.send(
            new UpdateAssumeRolePolicyCommand({ RoleName: spec.name, PolicyDocument: JSON.stringify(spec.trust) }),
          );
        } catch (error) {
          throw roleFailure(error, 'iam:UpdateAssumeRolePolicy', subject);
        }
        changed(change.description);
        break;
      case 'inline-policy':
        await putInline(spec, api, subject);
        changed(change.description);
        break;
      case 'attach':
        await attach(spec, change.policyArn, api, subject);
        changed(change.description);
        break;
      case 'tag':
        try {
          await api.send(new TagRoleCommand({ RoleName: spec.name, Tags: tagList(change.tags) }));
        } catch (error) {
          throw roleFailure(error, 'iam:TagRole', subject);
        }
        changed(change.description);
        break;
    }
  }
  return arn ?? '';
}

async function putInline(spec: RoleSpec, api: RoleApi, subject: string): Promise<void> {
  if (spec.inlinePolicy === undefined) return;
  try {
    await api.send(
      new PutRolePolicyCommand({
        RoleName: spec.name,
        PolicyName: spec.inlinePolicy.name,
        PolicyDocument: JSON.stringify(spec.inlinePolicy.document),
      }),
    );
  } catch (error) {
    throw roleFailure(error, 'iam:PutRolePolicy', subject);
  }
}

async function attach(spec: RoleSpec, policyArn: string, api: RoleApi, subject: string): Promise<void> {
  try {
    await api.send(new AttachRolePolicyCommand({ RoleName: spec.name, PolicyArn: policyArn }));
  } catch (error) {
    throw roleFailure(error, 'iam:AttachRolePolicy', `${subject} (${policyArn})`);
  }
}

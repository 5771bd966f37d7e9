/**
 * What Terraform left in the moto account, read back the way an auditor would: the policies as IAM
 * and S3 store them, normalised so that two spellings of one grant compare equal.
 */
import {
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { moduleSource } from './workspace.js';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: PolicyStatement[];
}

/** One grant, order-free: what a statement allows or denies, on what, under which condition. */
export interface Grant {
  readonly effect: string;
  readonly principal: unknown;
  readonly actions: string[];
  readonly resources: string[];
  readonly condition: Record<string, Record<string, string[]>>;
}

const sorted = (value: string | string[]): string[] => (Array.isArray(value) ? [...value] : [value]).sort();

export function grants(document: PolicyDocument): Grant[] {
  return document.Statement.map((statement) => ({
    effect: statement.Effect,
    principal: statement.Principal ?? null,
    actions: sorted(statement.Action),
    resources: sorted(statement.Resource),
    condition: Object.fromEntries(
      Object.entries(statement.Condition ?? {}).map(([operator, keys]) => [
        operator,
        Object.fromEntries(Object.entries(keys).map(([key, value]) => [key, sorted(value)])),
      ]),
    ),
  })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** IAM hands policy documents back URL-encoded. */
export function parsePolicy(document: string | undefined): PolicyDocument {
  if (document === undefined) throw new Error('IAM returned no policy document');
  return JSON.parse(document.startsWith('%7B') ? decodeURIComponent(document) : document) as PolicyDocument;
}

export interface PublisherActions {
  readonly objects: string[];
  readonly bucket: string[];
  readonly provider: string[];
  readonly account: string[];
}

export async function publisherActions(): Promise<PublisherActions> {
  return JSON.parse(await readFile(join(moduleSource, 'publisher-actions.json'), 'utf8')) as PublisherActions;
}

/**
 * What terraform/publisher-actions.json means (the contract `bootstrap` shares): `objects` on the
 * two document objects, `bucket` on the bucket limited to listing those two keys, `provider` on
 * the one provider, `account` on "*".
 */
export function publisherGrants(
  actions: PublisherActions,
  where: { readonly bucketArn: string; readonly documentKeys: readonly string[]; readonly providerArn: string },
): Grant[] {
  return grants({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: actions.objects,
        Resource: where.documentKeys.map((key) => `${where.bucketArn}/${key}`),
      },
      {
        Effect: 'Allow',
        Action: actions.bucket,
        Resource: where.bucketArn,
        Condition: { StringEquals: { 's3:prefix': [...where.documentKeys] } },
      },
      { Effect: 'Allow', Action: actions.provider, Resource: where.providerArn },
      { Effect: 'Allow', Action: actions.account, Resource: '*' },
    ],
  });
}

export interface PublisherRole {
  readonly trust: PolicyDocument;
  /** Inline policies by name. */
  readonly inline: Record<string, PolicyDocument>;
  readonly attached: string[];
}

export async function readPublisherRole(iam: IAMClient, roleName: string): Promise<PublisherRole> {
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  const inline: Record<string, PolicyDocument> = {};
  for (const name of PolicyNames) {
    const { PolicyDocument: document } = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
    );
    inline[name] = parsePolicy(document);
  }
  const { AttachedPolicies = [] } = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  return {
    trust: parsePolicy(Role?.AssumeRolePolicyDocument),
    inline,
    attached: AttachedPolicies.map((policy) => policy.PolicyArn ?? ''),
  };
}

export async function readProvider(iam: IAMClient, arn: string) {
  return iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
}

/** Everything of the kinds the module creates that the account holds. */
export async function accountContents(iam: IAMClient, s3: S3Client) {
  const [buckets, providers, roles, policies] = await Promise.all([
    s3.send(new ListBucketsCommand({})),
    iam.send(new ListOpenIDConnectProvidersCommand({})),
    iam.send(new ListRolesCommand({})),
    iam.send(new ListPoliciesCommand({ Scope: 'Local' })),
  ]);
  return {
    buckets: (buckets.Buckets ?? []).map((bucket) => bucket.Name),
    providers: (providers.OpenIDConnectProviderList ?? []).map((provider) => provider.Arn),
    roles: (roles.Roles ?? []).map((role) => role.RoleName),
    policies: (policies.Policies ?? []).map((policy) => policy.PolicyName),
  };
}

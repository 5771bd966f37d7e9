/**
 * The registrar role: what each `--account-role` names. It lives in an account where workloads'
 * roles live, trusts the publisher role (the in-cluster job's) and may keep this issuer's provider
 * right there and nothing else. Its documents are built here once; `bootstrap` prints or creates
 * them, the Terraform submodule `terraform/modules/registrar` writes the same ones.
 */
import publisherActions from '../../terraform/publisher-actions.json' with { type: 'json' };
import { ConfigError } from '../errors.js';
import type { Issuer } from '../issuer.js';
import { managedTags, providerArn, roleArn as roleArnOf, type Partition } from './names.js';
import type { PolicyDocument } from './policies.js';
import { applyRole, planRole, type RoleApi, type RoleSpec } from './role.js';

/** IAM's cap on a role name. */
const maxRoleNameLength = 64;
const roleNamePattern = /^[\w+=,.@-]+$/;
export const registrarPolicyName = 'irsa-issuer-registrar';

/**
 * What the publisher may do to its provider (terraform/publisher-actions.json), plus what only the
 * first registration in an account needs: creating the provider with its tags, and the audiences.
 * Together: every provider action the register stage calls (src/iam), no Delete, no Untag.
 */
export const registrarProviderActions: readonly string[] = [
  ...publisherActions.provider,
  'iam:CreateOpenIDConnectProvider',
  'iam:TagOpenIDConnectProvider',
  'iam:AddClientIDToOpenIDConnectProvider',
  'iam:RemoveClientIDFromOpenIDConnectProvider',
];

export interface RegistrarSpec {
  readonly issuer: Issuer;
  readonly clusterName: string;
  /** The account the role and the provider live in. */
  readonly account: string;
  /** The issuer's region decides. */
  readonly partition: Partition;
  /** The role that assumes this one: the in-cluster job's (the publisher role). */
  readonly publisherRoleArn: string;
  /** Demanded as `sts:ExternalId`; the run passes it as `--account-role ARN#EXTERNAL_ID`. */
  readonly externalId?: string;
  /** Default `irsa-issuer-registrar-<cluster>`, cut to IAM's 64 characters. */
  readonly roleName?: string;
}

export function registrarRoleName(clusterName: string): string {
  return `irsa-issuer-registrar-${clusterName}`.slice(0, maxRoleNameLength);
}

function roleNameOf(spec: RegistrarSpec): string {
  const name = spec.roleName ?? registrarRoleName(spec.clusterName);
  if (!roleNamePattern.test(name) || name.length > maxRoleNameLength) {
    throw new ConfigError(
      `The registrar role name ${JSON.stringify(name)} is not one IAM accepts: up to 64 letters, digits and +=,.@-_; ` +
        'pass a cluster name or role name made of those.',
    );
  }
  return name;
}

export function registrarRoleArn(spec: RegistrarSpec): string {
  return roleArnOf(spec.partition, spec.account, roleNameOf(spec));
}

/** `arn:PARTITION:iam::ACCOUNT:oidc-provider/HOST/PATH`: the provider STS finds for the issuer there. */
export function providerArnIn(spec: Pick<RegistrarSpec, 'issuer' | 'account' | 'partition'>): string {
  return providerArn(spec.partition, spec.account, spec.issuer);
}

/** Only the publisher role may assume it, with the external ID when one is set. */
export function registrarTrustPolicy(spec: RegistrarSpec): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'IrsaIssuerPublisher',
        Effect: 'Allow',
        Principal: { AWS: spec.publisherRoleArn },
        Action: 'sts:AssumeRole',
        ...(spec.externalId === undefined
          ? {}
          : { Condition: { StringEquals: { 'sts:ExternalId': spec.externalId } } }),
      },
    ],
  };
}

/** This issuer's provider in this account, and finding it (a List that IAM cannot scope). */
export function registrarPermissions(spec: RegistrarSpec): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReconcileOidcProvider',
        Effect: 'Allow',
        Action: [...registrarProviderActions],
        Resource: providerArnIn(spec),
      },
      {
        // ListOpenIDConnectProviders supports no resource-level scoping.
        Sid: 'FindOidcProvider',
        Effect: 'Allow',
        Action: [...publisherActions.account],
        Resource: '*',
      },
    ],
  };
}

/** The bootstrap contract's tags: how teardown recognises what was made for this issuer. */
export function registrarTags(spec: RegistrarSpec): Record<string, string> {
  return managedTags(spec.clusterName, spec.issuer.url);
}

/** Everything a person (or `bootstrap`) needs to create the role by hand: name, ARN, both documents, tags. */
export interface RegistrarRole {
  readonly roleName: string;
  readonly roleArn: string;
  /** What to pass as `--account-role`: the ARN, with `#EXTERNAL_ID` when one is set. */
  readonly accountRole: string;
  readonly trustPolicy: PolicyDocument;
  readonly policyName: string;
  readonly permissions: PolicyDocument;
  readonly tags: Readonly<Record<string, string>>;
}

export function registrarRole(spec: RegistrarSpec): RegistrarRole {
  const roleArn = registrarRoleArn(spec);
  return {
    roleName: roleNameOf(spec),
    roleArn,
    accountRole: spec.externalId === undefined ? roleArn : `${roleArn}#${spec.externalId}`,
    trustPolicy: registrarTrustPolicy(spec),
    policyName: registrarPolicyName,
    permissions: registrarPermissions(spec),
    tags: registrarTags(spec),
  };
}

export interface RegistrarOutcome {
  readonly roleArn: string;
  /** `planned`: a dry run found these changes and made none. */
  readonly status: 'created' | 'changed' | 'unchanged' | 'planned';
  readonly changes: readonly string[];
}

/**
 * Creates the registrar role in the account `api` works in (the caller's credentials there), or
 * brings the one this tool made back to what it should be, through the same reconciler as the
 * publisher role: a second call writes nothing; a role of that name that is not ours is refused.
 */
export async function ensureRegistrarRole(
  api: RoleApi,
  spec: RegistrarSpec,
  options: { readonly dryRun: boolean },
): Promise<RegistrarOutcome> {
  const role = registrarRole(spec);
  const roleSpec: RoleSpec = {
    name: role.roleName,
    issuerUrl: spec.issuer.url,
    description: `Registrar (irsa-issuer) of ${spec.clusterName}: keeps the OIDC provider of ${spec.issuer.url}`,
    trust: role.trustPolicy,
    inlinePolicy: { name: role.policyName, document: role.permissions },
    managedPolicyArns: [],
    tags: role.tags,
  };
  const plan = await planRole(roleSpec, api);
  const changes = plan.changes.map((change) => change.description);
  const { roleArn } = role;
  if (changes.length === 0) return { roleArn, status: 'unchanged', changes };
  if (options.dryRun) return { roleArn, status: 'planned', changes };
  await applyRole(plan, roleSpec, api);
  return { roleArn, status: plan.arn === undefined ? 'created' : 'changed', changes };
}

/**
 * `--account-role ARN[#EXTERNAL_ID]`: a role in another AWS account that the run assumes to keep
 * the issuer's provider right there too. `#` separates the external ID because neither can hold it:
 * role ARNs allow `[\w+=,.@/-]` and STS external IDs `[\w+=,.@:/-]`
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 */
import { ConfigError } from '../errors.js';

export interface AccountRole {
  /** The role's ARN, without the external ID. */
  readonly roleArn: string;
  /** 12 digits: the account this role lives in, and the one the provider is reconciled in. */
  readonly account: string;
  readonly partition: string;
  /** Sent to STS, never printed: it is the role owner's guard against a confused deputy. */
  readonly externalId?: string;
}

const roleArnPattern = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const externalIdPattern = /^[\w+=,.@:/-]{2,1224}$/;

export function parseAccountRole(raw: string): AccountRole {
  const value = raw.trim();
  const at = value.indexOf('#');
  const roleArn = at === -1 ? value : value.slice(0, at);
  const externalId = at === -1 ? undefined : value.slice(at + 1);
  const match = roleArnPattern.exec(roleArn);
  if (!match) {
    throw new ConfigError(
      `--account-role ${JSON.stringify(roleArn)} is not a role ARN: pass arn:aws:iam::ACCOUNT:role/NAME, with ` +
        '#EXTERNAL_ID after it when the role demands one (e.g. arn:aws:iam::222222222222:role/' +
        'irsa-issuer-registrar-prod#prod-cluster).',
    );
  }
  if (externalId !== undefined && !externalIdPattern.test(externalId)) {
    throw new ConfigError(
      `The external ID after "#" in --account-role ${roleArn} is not one STS accepts: 2 to 1224 characters of ` +
        'letters, digits and +=,.@:/-_.',
    );
  }
  return {
    roleArn,
    partition: match[1] ?? 'aws',
    account: match[2] ?? '',
    ...(externalId === undefined ? {} : { externalId }),
  };
}

/**
 * Every `--account-role`, checked together: one role per account (two would reconcile the same
 * provider at once), and all in the partition the run's IAM calls go to.
 */
export function parseAccountRoles(raw: readonly string[], partition: string): AccountRole[] {
  const roles = raw.map(parseAccountRole);
  const seen = new Map<string, string>();
  for (const role of roles) {
    const other = seen.get(role.account);
    if (other !== undefined) {
      throw new ConfigError(
        `--account-role names two roles in account ${role.account} (${other} and ${role.roleArn}); the provider of ` +
          'an account is kept by one role: pass one.',
      );
    }
    seen.set(role.account, role.roleArn);
    if (role.partition !== partition) {
      throw new ConfigError(
        `--account-role ${role.roleArn} is in partition ${role.partition}, but this run's AWS calls go to ${partition} ` +
          '(the region decides it): credentials cannot cross partitions. Run once per partition.',
      );
    }
  }
  return roles;
}

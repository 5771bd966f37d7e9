/** What `irsa-issuer trust-policy` does, loaded only when it runs (trust-policy.ts declares the command). */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createStsClient } from '../accounts/index.js';
import {
  applyRole,
  managedByTag,
  managedByValue,
  issuerTag,
  partitionOf,
  planRole,
  podSpecFragment,
  roleAnnotation,
  roleArn,
  serviceAccountSubject,
  trustPolicy,
} from '../bootstrap/index.js';
import { ConfigError, describeCause, IamError } from '../errors.js';
import { createIamClient, iamRegionFor } from '../iam/index.js';
import { defaultAudience } from '../issuer.js';
import { targetFromIssuer } from '../publish/index.js';
import { escapeControl } from '../redact.js';
import type { CliIo } from './io.js';
import { egressFromFlags, issuerFrom, loggerFrom, serviceAccountFrom } from './flags.js';
import type { TrustPolicyFlags } from './trust-policy.js';

const policyArnPattern = /^arn:aws(-cn|-us-gov)?:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/;

/** YAML for the fixed shapes printed here: JSON scalars are YAML scalars, so strings stay quoted. */
function yaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        const body = yaml(item, `${indent}  `).replace(/^\s+/, '');
        return `${indent}- ${body}`;
      })
      .join('\n');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, item]) =>
        typeof item === 'object' && item !== null
          ? `${indent}${key}:\n${yaml(item, `${indent}  `)}`
          : `${indent}${key}: ${JSON.stringify(item)}`,
      )
      .join('\n');
  }
  return `${indent}${JSON.stringify(value)}`;
}

async function callerAccount(region: string, io: CliIo, flags: TrustPolicyFlags): Promise<string> {
  const sts = await createStsClient({ logger: loggerFrom(flags, io), egress: egressFromFlags(flags, io.env), region });
  try {
    const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    if (account === undefined) throw new Error('no account ID in the answer');
    return account;
  } catch (error) {
    throw new IamError(
      `sts:GetCallerIdentity failed: ${describeCause(error).replace(/\.$/, '')}. The role ARN needs the account ID: ` +
        'pass --account-id (no credentials needed to print), or fix the AWS credentials.',
      { cause: error },
    );
  } finally {
    sts.destroy();
  }
}

/** Runs `irsa-issuer trust-policy`: prints the trust policy (and with --create, creates the role). */
export async function runTrustPolicy(flags: TrustPolicyFlags, io: CliIo): Promise<void> {
  const issuer = issuerFrom(flags, { acceptTrailingSlash: true });
  if (flags.serviceAccount === undefined) {
    throw new ConfigError(
      "trust-policy needs --service-account NAMESPACE/NAME (or NAME with --namespace), NAME may be '*' " +
        '(e.g. --service-account team-a/app).',
    );
  }
  const { namespace, name: serviceAccount } = serviceAccountFrom(flags.serviceAccount, flags.namespace, {
    wildcard: true,
  });
  if (flags.audience.trim() === '') throw new ConfigError(`--audience is empty; STS expects ${defaultAudience}.`);
  const region = flags.region ?? (targetFromIssuer(issuer) as { region?: string } | undefined)?.region;
  if (region === undefined) {
    throw new ConfigError(
      `The issuer ${issuer.url} names no AWS region: pass --region (the pods' AWS_REGION and the partition of the ARNs).`,
    );
  }
  if (flags.accountId !== undefined && !/^\d{12}$/.test(flags.accountId)) {
    throw new ConfigError(`--account-id ${JSON.stringify(flags.accountId)} is not a 12-digit AWS account ID.`);
  }
  if (flags.create === true && flags.roleName === undefined) {
    throw new ConfigError('--create needs --role-name, the role to create (e.g. --role-name team-a-app).');
  }
  if (flags.policyArn.length > 0 && flags.create !== true) {
    throw new ConfigError('--policy-arn attaches a policy to the role --create makes; pass --create --role-name too.');
  }
  if (flags.roleName !== undefined && !/^[\w+=,.@-]{1,64}$/.test(flags.roleName)) {
    throw new ConfigError(
      `--role-name ${JSON.stringify(flags.roleName)} is not an IAM role name (1-64 of letters, digits, +=,.@_-).`,
    );
  }
  for (const arn of flags.policyArn) {
    if (!policyArnPattern.test(arn))
      throw new ConfigError(
        `--policy-arn ${JSON.stringify(arn)} is not an IAM policy ARN (arn:aws:iam::ACCOUNT:policy/NAME).`,
      );
  }
  const partition = partitionOf(region);
  let account = flags.accountId;
  if (account === undefined || flags.create === true) {
    const caller = await callerAccount(region, io, flags);
    if (account !== undefined && account !== caller) {
      throw new ConfigError(
        `--account-id ${account} is not the account of the credentials in use (${caller}); --create makes the role ` +
          "in the credentials' account.",
      );
    }
    account = caller;
  }
  const policy = trustPolicy({
    issuer,
    partition,
    account,
    namespace,
    serviceAccount,
    audience: flags.audience,
  });
  if (serviceAccount === '*') {
    io.stderr.write(
      `irsa-issuer: warning: --service-account '*' trusts every ServiceAccount in the namespace ${namespace} ` +
        '(StringLike): anyone who can create a ServiceAccount or a pod there can assume the role.\n',
    );
  }
  const arn = roleArn(partition, account, flags.roleName ?? 'ROLE_NAME');
  let changes: readonly string[] = [];
  if (flags.create === true && flags.roleName !== undefined) {
    const api = await createIamClient({
      logger: loggerFrom(flags, io),
      egress: egressFromFlags(flags, io.env),
      region: iamRegionFor(region),
    });
    const spec = {
      name: flags.roleName,
      issuerUrl: issuer.url,
      description: `Assumed by ${serviceAccountSubject(namespace, serviceAccount)} through ${issuer.url}`,
      trust: policy,
      managedPolicyArns: flags.policyArn,
      tags: { [managedByTag]: managedByValue, [issuerTag]: issuer.url },
    };
    const plan = await planRole(spec, api);
    await applyRole(plan, spec, api);
    changes = plan.changes.map((change) => change.description);
  }
  const annotation = { [roleAnnotation]: arn };
  const pod = podSpecFragment({
    serviceAccount: serviceAccount === '*' ? 'SERVICE_ACCOUNT' : serviceAccount,
    roleArn: arn,
    audience: flags.audience,
    region,
  });
  if (flags.output === 'json') {
    io.stdout.write(
      `${JSON.stringify({ trustPolicy: policy, roleArn: arn, ...(flags.create === true ? { changes } : {}), serviceAccountAnnotations: annotation, podSpec: pod }, null, 2)}\n`,
    );
    return;
  }
  const lines = [
    `# Trust policy (the role's trust relationship)`,
    JSON.stringify(policy, null, 2),
    ...(flags.create === true
      ? [
          '',
          changes.length === 0 ? `# Role ${arn}: already up to date` : `# Role ${arn}:`,
          ...changes.map((c) => `#   ${c}`),
        ]
      : []),
    '',
    '# ServiceAccount annotation (metadata.annotations; documents the role, nothing off EKS acts on it)',
    yaml(annotation),
    '',
    '# Pod spec fragment: off EKS no webhook adds these',
    yaml(pod),
  ];
  io.stdout.write(escapeControl(`${lines.join('\n')}\n`));
}

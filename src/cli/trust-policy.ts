import { Command, Option } from 'commander';
import { defaultAudience } from '../issuer.js';
import type { CliIo } from './io.js';
import {
  addOutputOptions,
  addProxyOption,
  repeatable,
  type EgressFlags,
  type IssuerFlags,
  type OutputFlags,
} from './options.js';

export interface TrustPolicyFlags extends IssuerFlags, OutputFlags, EgressFlags {
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly audience: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly create?: boolean;
  readonly roleName?: string;
  readonly policyArn: string[];
}

export function trustPolicyCommand(io: CliIo): Command {
  const command = new Command('trust-policy')
    .summary("print a workload role's trust policy for this issuer; --create makes the role")
    .description(
      'Prints the trust policy a role needs so that pods running as --namespace/--service-account can assume it ' +
        'with their token through this issuer (StringEquals on HOST/PATH:sub and HOST/PATH:aud), then the ' +
        'ServiceAccount annotation and the pod-spec fragment a pod needs off EKS (a projected token and the AWS_* ' +
        'variables: no webhook injects them). With --create it creates the role, or brings one it made before up ' +
        'to date, tagged irsa-issuer/managed-by; a role of that name it did not make is refused.',
    )
    .addOption(
      new Option('--namespace <namespace>', "the ServiceAccount's namespace, when --service-account names none"),
    )
    .addOption(
      new Option(
        '--service-account <namespace/name>',
        "the ServiceAccount (required): NAMESPACE/NAME, or NAME with --namespace; NAME '*' trusts every " +
          'ServiceAccount of the namespace (StringLike, with a warning)',
      ),
    )
    .addOption(new Option('--audience <client-id>', 'the token audience the role accepts').default(defaultAudience))
    .addOption(
      new Option(
        '--issuer <url>',
        'the public issuer URL, exactly as tokens carry it in "iss" (required; a trailing slash only if they carry one)',
      ),
    )
    .addOption(
      new Option(
        '--account-id <id>',
        "the AWS account of the provider and role; given, printing needs no AWS credentials (default: the caller's)",
      ),
    )
    .addOption(
      new Option(
        '--region <region>',
        'AWS_REGION for the pod and the partition of the ARNs (default: implied by an S3 issuer URL)',
      ),
    )
    .addOption(new Option('--create', 'create the role (or update one made by this command for this issuer)'))
    .addOption(new Option('--role-name <name>', 'the role to create or name in the output'))
    .addOption(repeatable('--policy-arn <arn>', 'with --create: attach this managed policy (repeatable)'));
  addProxyOption(command);
  addOutputOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  irsa-issuer trust-policy --issuer https://acme-oidc.s3.eu-west-1.amazonaws.com/clusters/prod \\',
      '      --namespace team-a --service-account app --account-id 111122223333',
      '  irsa-issuer trust-policy --issuer https://acme-oidc.s3.eu-west-1.amazonaws.com/clusters/prod \\',
      '      --namespace team-a --service-account app --create --role-name team-a-app \\',
      '      --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      '',
      'Exit codes: 0 done, 1 failed (AWS), 2 usage error, 3 a role of that name exists that irsa-issuer did not make.',
    ].join('\n'),
  );
  command.action(async (flags: TrustPolicyFlags) => {
    const { runTrustPolicy } = await import('./trust-policy-action.js');
    await runTrustPolicy(flags, io);
  });
  return command;
}

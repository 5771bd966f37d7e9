import { Command, Option } from 'commander';
// chart.js, not bootstrap's index: a command's definition is loaded by every --help, and bootstrap's
// surface brings the S3, S3 Control, IAM and STS clients.
import { chartNamespace, chartServiceAccount } from '../bootstrap/chart.js';
import type { CliIo } from './io.js';
import {
  addClusterOptions,
  addOutputOptions,
  addProxyOption,
  repeatable,
  type ClusterFlags,
  type EgressFlags,
  type OutputFlags,
} from './options.js';

export interface BootstrapFlags extends ClusterFlags, OutputFlags, EgressFlags {
  readonly accountRole: string[];
  readonly createRegistrarRoles?: boolean;
  readonly adminRoleName: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly prefix?: string;
  readonly clusterName?: string;
  readonly roleName?: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly allowPublicPolicy?: boolean;
  readonly allowIssuerMismatch?: boolean;
  readonly dryRun?: boolean;
  readonly verify: boolean;
  readonly caFile?: string;
  readonly thumbprint: string[];
  readonly s3Endpoint?: string;
  readonly timeout: string;
}

export function bootstrapCommand(io: CliIo): Command {
  const command = new Command('bootstrap')
    .summary('first-time setup: bucket, public-read policy, first publish, provider and the publisher role')
    .description(
      'Takes an AWS account from nothing to a working, verified issuer for this cluster, idempotently: the bucket ' +
        '(created if missing: objects owned by the bucket, versioned, Block Public Access for ACLs only), a bucket-' +
        'policy statement of its own letting anyone read exactly the two documents (merged into any existing policy), ' +
        'the first publish with `irsa-issuer sync --verify`, the IAM OIDC provider, and the role the in-cluster job ' +
        'assumes (least privilege), all tagged irsa-issuer/managed-by. Every check runs before the first write. It ' +
        'ends with the kube-apiserver flags and the helm install command. The issuer is ' +
        'https://BUCKET.s3.REGION.amazonaws.com[/PREFIX].',
    )
    .addOption(new Option('--bucket <name>', 'the S3 bucket to serve the issuer from; created when missing'))
    .addOption(new Option('--region <region>', "the bucket's AWS region (also the partition of every ARN)"))
    .addOption(new Option('--prefix <path>', 'key prefix of the documents in the bucket (one cluster per prefix)'))
    .addOption(
      new Option(
        '--cluster-name <name>',
        'the irsa-issuer/cluster tag (default: the last prefix segment, else the bucket)',
      ),
    )
    .addOption(new Option('--role-name <name>', "the publisher role's name (default: irsa-issuer-CLUSTER)"))
    .addOption(
      new Option(
        '--namespace <namespace>',
        `the namespace of the ServiceAccount the publisher role trusts, when --service-account names none ` +
          `(default: ${chartNamespace}, the chart's)`,
      ),
    )
    .addOption(
      new Option(
        '--service-account <namespace/name>',
        `the ServiceAccount the publisher role trusts: NAMESPACE/NAME, or NAME with --namespace (default: ` +
          `${chartServiceAccount}, the chart's)`,
      ),
    )
    .addOption(
      new Option(
        '--allow-public-policy',
        'on an existing bucket, turn off BlockPublicPolicy and RestrictPublicBuckets (the ACL settings stay)',
      ),
    )
    .addOption(
      new Option(
        '--allow-issuer-mismatch',
        'publish although the cluster still signs for another issuer (before the API server is reconfigured)',
      ),
    );
  addClusterOptions(command);
  command
    .addOption(
      repeatable(
        '--thumbprint <sha1>',
        "pin the provider's thumbprint(s) instead of probing the jwks_uri host over TLS (repeatable)",
      ),
    )
    .addOption(
      new Option('--no-verify', 'skip checking what STS sees after publishing (irsa-issuer verify does it later)'),
    )
    .addOption(
      new Option(
        '--ca-file <path>',
        'also trust this CA (PEM) for outbound TLS: S3, IAM, STS and the verify fetches (a corporate or private ' +
          'CA); never used for the thumbprint',
      ),
    )
    .addOption(new Option('--s3-endpoint <url>', 'an S3-compatible endpoint instead of AWS S3 (path-style)'))
    .addOption(new Option('--dry-run', 'print the plan; change nothing'))
    .addOption(
      new Option('--timeout <seconds>', 'give up on any one stage of the first publish after this long').default('60'),
    );
  command
    .addOption(
      repeatable(
        '--account-role <arn[#external-id]>',
        'the registrar role in another account where workload roles live (repeatable): the publisher role may ' +
          'assume it, the report prints its trust and permissions, and the helm line passes it on',
      ),
    )
    .addOption(
      new Option(
        '--create-registrar-roles',
        'with --account-role: create (or bring up to date) each registrar role, with your credentials in its ' +
          'account (by assuming --admin-role-name there)',
      ),
    )
    .addOption(
      new Option('--admin-role-name <name>', 'the role --create-registrar-roles assumes in each account').default(
        'OrganizationAccountAccessRole',
      ),
    );
  addProxyOption(command);
  addOutputOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  # Plan, then do it, reading the keys the cluster signs with from the API server',
      '  irsa-issuer bootstrap --bucket acme-oidc --region eu-west-1 --prefix clusters/prod --dry-run',
      '  irsa-issuer bootstrap --bucket acme-oidc --region eu-west-1 --prefix clusters/prod',
      '',
      '  # Before the API server uses the new issuer: from the public key file (kubeadm shown)',
      '  irsa-issuer bootstrap --bucket acme-oidc --region eu-west-1 --prefix clusters/prod \\',
      '      --public-key-file /etc/kubernetes/pki/sa.pub',
      '',
      'Needs admin-like AWS credentials once: see docs/iam-policy.md ("Who runs bootstrap"). A second run',
      'changes nothing.',
      'Exit codes: 0 done, 1 failed (network, AWS, Kubernetes), 2 usage or configuration error,',
      "            3 refused (a bucket or role that is not ours, Block Public Access, sync's guards;",
      '            nothing written), 4 verification failed.',
    ].join('\n'),
  );
  command.action(async (flags: BootstrapFlags) => {
    const { runBootstrap } = await import('./bootstrap-action.js');
    await runBootstrap(flags, io);
  });
  return command;
}

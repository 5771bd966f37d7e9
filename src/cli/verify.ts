import { Command, Option } from 'commander';
import { verifyIssuerRules } from '../issuer.js';
import type { CliIo } from './io.js';
import {
  addAccountOptions,
  addAudienceOption,
  addClusterOptions,
  addOutputOptions,
  addProxyOption,
  issuerOption,
  type AccountFlags,
  type ClusterFlags,
  type EgressFlags,
  type OutputFlags,
} from './options.js';

export interface VerifyFlags extends ClusterFlags, OutputFlags, AccountFlags, EgressFlags {
  readonly issuer?: string;
  readonly serviceAccount?: string;
  readonly namespace?: string;
  readonly audience: string[];
  readonly roleArn?: string;
  /** false with --no-aws. */
  readonly aws: boolean;
  readonly region?: string;
  readonly caFile?: string;
  readonly timeout: string;
}

export function verifyCommand(io: CliIo): Command {
  const command = new Command('verify')
    .summary('check, as STS would, that tokens from this issuer are accepted; and if not, why')
    .description(
      'Fetches the discovery document and JWKS anonymously over HTTPS without following redirects, as STS ' +
        "does; checks the issuer byte for byte (a trailing slash included), the discovery document's required " +
        "members, STS's key limits, that every published key is a signing key STS accepts and that they are the " +
        "cluster's, that the IAM OIDC provider exists with the right thumbprint and audience; with --service-account " +
        'mints a token by ' +
        'TokenRequest and verifies it against the public JWKS; with --role-arn exchanges it at STS. Changes nothing. ' +
        'Each check is reported as ✓, ✗ (with a fix) or - (not run, and why).',
    )
    .addOption(issuerOption(verifyIssuerRules));
  addClusterOptions(command);
  addAudienceOption(command, 'client ID the IAM provider must accept; the token is minted for the first');
  command
    .addOption(
      new Option(
        '--service-account <namespace/name>',
        'mint a token for this service account (TokenRequest, 600 s) and verify it against the public JWKS ' +
          '(NAMESPACE/NAME, or NAME with --namespace)',
      ),
    )
    .addOption(new Option('--namespace <namespace>', "the --service-account's namespace, when it names none"))
    .addOption(
      new Option(
        '--role-arn <arn>',
        'exchange the token at STS for this role (AssumeRoleWithWebIdentity; needs no AWS credentials)',
      ),
    )
    .addOption(
      new Option('--no-aws', 'skip the IAM checks (provider, thumbprint, audience): no AWS credentials needed'),
    );
  addAccountOptions(command, 'check the IAM OIDC provider (exists, thumbprint, audience)');
  command
    .addOption(
      new Option('--region <region>', 'AWS region for STS and the IAM partition (default: AWS_REGION, else us-east-1)'),
    )
    .addOption(
      new Option(
        '--ca-file <path>',
        'also trust this CA (PEM) for outbound TLS: the documents, IAM and STS (a private or corporate CA; default: ' +
          'the system store plus NODE_EXTRA_CA_CERTS); never for the thumbprint check, which asks what AWS trusts',
      ),
    )
    .addOption(new Option('--timeout <seconds>', 'give up on each network step after this long').default('10'));
  addProxyOption(command);
  addOutputOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  irsa-issuer verify --issuer https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod --no-aws',
      '  irsa-issuer verify --issuer https://oidc.example.com/prod --context prod --service-account team-a/app \\',
      '      --role-arn arn:aws:iam::123456789012:role/team-a-app',
      '  irsa-issuer verify --issuer https://oidc.internal.example/prod --ca-file corp-root.pem --output json',
      '  irsa-issuer verify --issuer https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod \\',
      '      --account-role arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod --no-home-account',
      '',
      'Exit codes: 0 every check that ran passed, 2 usage or configuration error,',
      '            4 verification failed (at least one ✗; each names its fix).',
    ].join('\n'),
  );
  command.action(async (flags: VerifyFlags) => {
    const { runVerify } = await import('./verify-action.js');
    await runVerify(flags, io);
  });
  return command;
}

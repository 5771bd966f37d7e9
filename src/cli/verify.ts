import { Command, Option } from 'commander';
import type { ClusterReader } from '../cluster/index.js';
import { ConfigError } from '../errors.js';
import { createIamClient, iamRegionFor } from '../iam/index.js';
import {
  createAnonymousStsClient,
  tokenMinterFor,
  verificationFailure,
  verifyIssuer,
  verifyIssuerRules,
  type TokenMinter,
  type VerifyDependencies,
} from '../verify/index.js';
import { accountsFrom, addAccountOptions, type AccountFlags } from './accounts.js';
import type { CliIo } from './io.js';
import {
  addAudienceOption,
  addClusterOptions,
  addOutputOptions,
  addProxyOption,
  audiencesFrom,
  caFileFrom,
  clusterReaderFrom,
  egressFromFlags,
  issuerFrom,
  issuerOption,
  loggerFrom,
  serviceAccountFrom,
  timeoutMsFrom,
  type ClusterFlags,
  type EgressFlags,
  type OutputFlags,
} from './options.js';
import type { Egress } from '../egress/index.js';
import { renderVerifyReport } from './report.js';

interface VerifyFlags extends ClusterFlags, OutputFlags, AccountFlags, EgressFlags {
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

const roleArnPattern = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

interface ClusterAccess {
  readonly cluster?: ClusterReader;
  readonly mintToken?: TokenMinter;
}

/**
 * Cluster access is optional for verify: named (--kubeconfig/--context, $KUBECONFIG, --public-key-file),
 * it must load (exit 2 otherwise); not named, ~/.kube/config or the pod's service account is used
 * when there is one, and the cluster checks are skipped when there is none.
 */
function clusterAccessFrom(
  flags: VerifyFlags,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  needsApiServer: boolean,
  egress: Egress,
): ClusterAccess {
  if (needsApiServer && flags.publicKeyFile.length > 0) {
    throw new ConfigError(
      '--service-account mints a token with TokenRequest, which needs the API server: ' +
        'use --kubeconfig/--context instead of --public-key-file.',
    );
  }
  const named =
    flags.publicKeyFile.length > 0 ||
    flags.kubeconfig !== undefined ||
    flags.context !== undefined ||
    env.KUBECONFIG !== undefined;
  let cluster: ReturnType<typeof clusterReaderFrom>;
  try {
    cluster = clusterReaderFrom(flags, { timeoutMs, egress });
  } catch (error) {
    if (named || needsApiServer || !(error instanceof ConfigError)) throw error;
    return {};
  }
  if (!('connection' in cluster)) return { cluster };
  return { cluster, mintToken: tokenMinterFor(cluster.connection, timeoutMs) };
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
    const issuer = issuerFrom(flags, verifyIssuerRules);
    const serviceAccount =
      flags.serviceAccount === undefined ? undefined : serviceAccountFrom(flags.serviceAccount, flags.namespace);
    if (flags.roleArn !== undefined && !roleArnPattern.test(flags.roleArn)) {
      throw new ConfigError(
        `--role-arn ${JSON.stringify(flags.roleArn)} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME).`,
      );
    }
    if (flags.roleArn !== undefined && serviceAccount === undefined) {
      throw new ConfigError('--role-arn exchanges a token minted for --service-account NAMESPACE/NAME; pass both.');
    }
    const audiences = audiencesFrom(flags.audience);
    const timeoutMs = timeoutMsFrom(flags.timeout);
    const ca = flags.caFile === undefined ? undefined : await caFileFrom(flags.caFile);
    const egress = egressFromFlags(flags, io.env, ca);
    const logger = loggerFrom(flags, io);
    const access = clusterAccessFrom(flags, io.env, timeoutMs, serviceAccount !== undefined, egress);
    const region = flags.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    if (!flags.aws && (flags.accountRole.length > 0 || !flags.homeAccount)) {
      throw new ConfigError('--no-aws turns the IAM checks off; --account-role and --no-home-account are IAM checks.');
    }
    const home = createIamClient({ logger, timeoutMs, egress, region: iamRegionFor(region) });
    const accounts = flags.aws ? accountsFrom(flags, home, iamRegionFor(region), logger, egress) : undefined;
    // accountsFrom puts the home account first unless --no-home-account; verify checks it in the main list.
    const others = accounts?.filter((account) => account.roleArn !== undefined);
    const dependencies: VerifyDependencies = {
      ...access,
      logger,
      ...(flags.aws && flags.homeAccount ? { provider: home } : {}),
      ...(others === undefined ? {} : { accounts: others }),
      ...(flags.roleArn === undefined
        ? {}
        : {
            sts: createAnonymousStsClient({ logger, timeoutMs, egress, ...(region === undefined ? {} : { region }) }),
          }),
    };
    const report = await verifyIssuer(
      {
        issuer,
        audiences,
        timeoutMs,
        ...(serviceAccount === undefined ? {} : { serviceAccount }),
        ...(flags.roleArn === undefined ? {} : { roleArn: flags.roleArn }),
        ...(ca === undefined ? {} : { ca }),
        egress,
      },
      dependencies,
    );
    io.stdout.write(renderVerifyReport(report, flags.output));
    const failure = verificationFailure(report);
    if (failure !== undefined) throw failure;
  });
  return command;
}

/** What `irsa-issuer verify` does, loaded only when it runs (verify.ts declares the command). */
import type { ClusterReader } from '../cluster/index.js';
import { ConfigError } from '../errors.js';
import { verifyIssuerRules } from '../issuer.js';
import { createIamClient, iamRegionFor } from '../iam/index.js';
import {
  createAnonymousStsClient,
  tokenMinterFor,
  verificationFailure,
  verifyIssuer,
  type TokenMinter,
  type VerifyDependencies,
} from '../verify/index.js';
import { accountsFrom } from './accounts.js';
import type { CliIo } from './io.js';
import {
  audiencesFrom,
  caFileFrom,
  clusterReaderFrom,
  egressFromFlags,
  issuerFrom,
  loggerFrom,
  serviceAccountFrom,
  timeoutMsFrom,
} from './flags.js';
import type { Egress } from '../egress/index.js';
import { renderVerifyReport } from './report.js';
import type { VerifyFlags } from './verify.js';

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
async function clusterAccessFrom(
  flags: VerifyFlags,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  needsApiServer: boolean,
  egress: Egress,
): Promise<ClusterAccess> {
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
  let cluster: Awaited<ReturnType<typeof clusterReaderFrom>>;
  try {
    cluster = await clusterReaderFrom(flags, { timeoutMs, egress });
  } catch (error) {
    if (named || needsApiServer || !(error instanceof ConfigError)) throw error;
    return {};
  }
  if (!('connection' in cluster)) return { cluster };
  return { cluster, mintToken: tokenMinterFor(cluster.connection, timeoutMs) };
}

/** Runs `irsa-issuer verify` and prints its report; a failed check is exit 4. */
export async function runVerify(flags: VerifyFlags, io: CliIo): Promise<void> {
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
  const access = await clusterAccessFrom(flags, io.env, timeoutMs, serviceAccount !== undefined, egress);
  const region = flags.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (!flags.aws && (flags.accountRole.length > 0 || !flags.homeAccount)) {
    throw new ConfigError('--no-aws turns the IAM checks off; --account-role and --no-home-account are IAM checks.');
  }
  // --no-aws: no IAM client, and so no IAM SDK loaded.
  const home = flags.aws
    ? await createIamClient({ logger, timeoutMs, egress, region: iamRegionFor(region) })
    : undefined;
  const accounts =
    home === undefined ? undefined : await accountsFrom(flags, home, iamRegionFor(region), logger, egress);
  // accountsFrom puts the home account first unless --no-home-account; verify checks it in the main list.
  const others = accounts?.filter((account) => account.roleArn !== undefined);
  const dependencies: VerifyDependencies = {
    ...access,
    logger,
    ...(home !== undefined && flags.homeAccount ? { provider: home } : {}),
    ...(others === undefined ? {} : { accounts: others }),
    ...(flags.roleArn === undefined
      ? {}
      : {
          sts: await createAnonymousStsClient({
            logger,
            timeoutMs,
            egress,
            ...(region === undefined ? {} : { region }),
          }),
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
}

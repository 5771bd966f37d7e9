/** What `irsa-issuer bootstrap` does, loaded only when it runs (bootstrap.ts declares the command). */
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { assumedAccount, createStsClient, parseAccountRoles, parseAccountRole } from '../accounts/index.js';
import { awsClientConfig } from '../aws-client.js';
import {
  bootstrap,
  BootstrapFailedError,
  bucketIssuerUrl,
  chartNamespace,
  chartServiceAccount,
  defaultClusterName,
  defaultRoleName,
  maxRoleNameLength,
  normalisePrefix,
  partitionOf,
  type BootstrapClients,
  type BootstrapPart,
  type BootstrapReport,
} from '../bootstrap/index.js';
import { ConfigError } from '../errors.js';
import { createIamClient, iamRegionFor } from '../iam/index.js';
import { defaultCacheControl, parseIssuer } from '../issuer.js';
import { loadS3, parseTarget } from '../publish/index.js';
import type { Egress } from '../egress/index.js';
import type { Logger } from '../log.js';
import { escapeControl } from '../redact.js';
import { normaliseThumbprints, thumbprintFromUrl } from '../thumbprint/index.js';
import { verificationFailure } from '../verify/index.js';
import type { CliIo } from './io.js';
import {
  caFileFrom,
  egressFromFlags,
  clusterReaderFrom,
  loggerFrom,
  serviceAccountFrom,
  timeoutMsFrom,
} from './flags.js';
import type { BootstrapFlags } from './bootstrap.js';
import { renderRunReport } from './report.js';

const region = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

const roleName = /^[\w+=,.@-]{1,64}$/;

function required(value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(
      `bootstrap needs ${flag} (e.g. ${flag} ${example}), or IRSA_ISSUER_${flag.slice(2).replaceAll('-', '_').toUpperCase()}.`,
    );
  }
  return value;
}

function name(value: string, flag: string, pattern: RegExp, rule: string): string {
  if (!pattern.test(value)) throw new ConfigError(`${flag} ${JSON.stringify(value)} is not valid: ${rule}.`);
  return value;
}

async function bootstrapSetup(flags: BootstrapFlags, io: CliIo, ca: string | undefined) {
  const bucket = required(flags.bucket, '--bucket', 'acme-oidc');
  const regionName = required(flags.region, '--region', 'eu-west-1');
  if (!region.test(regionName)) {
    throw new ConfigError(`--region ${JSON.stringify(regionName)} is not an AWS region name (e.g. eu-west-1).`);
  }
  const prefix = normalisePrefix(flags.prefix);
  // The bucket name and prefix pass the same checks as sync's --target s3://BUCKET/PREFIX.
  parseTarget(`s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`);
  const issuer = parseIssuer(bucketIssuerUrl(bucket, regionName, prefix));
  if (bucket.includes('.')) {
    throw new ConfigError(
      `The bucket ${bucket} contains dots, so https://${issuer.host} fails TLS (S3's certificate covers one label ` +
        'only) and STS could not fetch the documents. Use a bucket name without dots.',
    );
  }
  const cluster = flags.clusterName ?? defaultClusterName(bucket, prefix);
  // It becomes a tag value on S3 and IAM resources, which take these characters only.
  if (!/^[\w .:/=+@-]{1,256}$/.test(cluster)) {
    throw new ConfigError(
      `--cluster-name ${JSON.stringify(cluster)} is not a valid tag value: 1-256 letters, digits, spaces and _.:/=+-@.`,
    );
  }
  const role = name(
    flags.roleName ?? defaultRoleName(cluster),
    '--role-name',
    roleName,
    `IAM role names are 1-${maxRoleNameLength} letters, digits and +=,.@_- (pass --role-name)`,
  );
  const { namespace, name: serviceAccount } = serviceAccountFrom(
    flags.serviceAccount ?? chartServiceAccount,
    flags.namespace,
    { defaultNamespace: chartNamespace },
  );
  const logger = loggerFrom(flags, io);
  const egress = egressFromFlags(flags, io.env, ca);
  const clusterReader = await clusterReaderFrom(flags, { egress });
  const { createS3Client } = await loadS3();
  const aws = awsClientConfig({ logger, egress });
  return {
    issuer,
    bucket,
    prefix,
    egress,
    region: regionName,
    cluster,
    role,
    namespace,
    serviceAccount,
    logger,
    clients: {
      cluster: clusterReader,
      s3: createS3Client({
        logger,
        egress,
        region: regionName,
        ...(flags.s3Endpoint === undefined ? {} : { endpoint: flags.s3Endpoint }),
      }),
      // S3-compatible stores have no account-level Block Public Access (and no S3 Control API).
      ...(flags.s3Endpoint === undefined ? { account: new S3ControlClient({ ...aws, region: regionName }) } : {}),
      iam: await createIamClient({ logger, egress, region: iamRegionFor(regionName) }),
      sts: await createStsClient({ logger, egress, region: regionName }),
      probe: (url: string) => thumbprintFromUrl(url, { egress }),
      logger,
      ...(await registrarAccess(flags, regionName, logger, egress)),
    },
  };
}

/**
 * `--create-registrar-roles`: IAM in each --account-role account with the caller's own credentials
 * there, by assuming `--admin-role-name` (AWS Organizations makes OrganizationAccountAccessRole in
 * every member account, trusting the management account).
 */
async function registrarAccess(
  flags: BootstrapFlags,
  regionName: string,
  logger: Logger,
  egress: Egress,
): Promise<Pick<BootstrapClients, 'iamIn'>> {
  if (flags.createRegistrarRoles !== true) return {};
  const partition = partitionOf(regionName);
  const options = { logger, egress, region: iamRegionFor(regionName) };
  const sts = await createStsClient(options);
  const adminRole = (account: string) =>
    parseAccountRole(`arn:${partition}:iam::${account}:role/${flags.adminRoleName}`);
  return { iamIn: (account: string) => assumedAccount(adminRole(account), sts, options).connect() };
}

const mark: Record<BootstrapPart['status'], string> = { changed: '~', unchanged: '=', planned: '+' };

function partLines(label: string, part: BootstrapPart): string[] {
  return [
    `${mark[part.status]} ${label.padEnd(10)} ${part.summary}`,
    ...part.changes.map((change) => `    ${change}`),
    ...part.notes.map((note) => `    (${note})`),
  ];
}

function nextLines(report: BootstrapReport): string[] {
  const { next } = report;
  return [
    '',
    'Next: make the cluster sign tokens for the new issuer. kube-apiserver flags (the new issuer first; ' +
      (next.clusterIssuer === undefined
        ? 'add the current one as a second --service-account-issuer if tokens were issued for it):'
        : 'the current one second, so tokens already issued stay valid):'),
    ...next.apiServerFlags.map((flag) => `  ${flag}`),
    'Where to set them:',
    ...next.distributions.map((d) => `  ${d.name.padEnd(10)} ${d.where} (${d.guide})`),
    '',
    'Then run the publisher in the cluster, assuming the role bootstrap made (build and push the image first):',
    `  ${next.helm}`,
  ];
}

function renderBootstrapReport(report: BootstrapReport, format: 'text' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  const lines = [
    `${report.dryRun ? 'Bootstrap plan' : 'Bootstrap'} for issuer ${report.issuer} (account ${report.account}, cluster ${report.cluster})`,
    ...partLines('bucket', report.bucketStep),
  ];
  const role = partLines('role', report.role);
  const outcome = report.dryRun
    ? report.changed
      ? 'Dry run: the changes above were planned, none made.'
      : 'Dry run: nothing to change.'
    : report.changed
      ? 'Done: changes made.'
      : 'Done: everything was already up to date; nothing written.';
  const text = [
    ...lines,
    '',
    renderRunReport(report.sync, 'text').trimEnd(),
    '',
    ...role,
    `  provider ${report.provider.arn}`,
    `  role     ${report.role.arn}`,
    ...report.registrars.flatMap((registrar) => [
      `  registrar ${registrar.roleArn}: ${
        registrar.status === 'not created'
          ? 'not created: create it in that account (terraform/modules/registrar, or --create-registrar-roles; ' +
            'its trust and permissions are in --output json)'
          : registrar.status
      }`,
      ...registrar.changes.map((change) => `    ${change}`),
    ]),
    ...report.warnings.filter((warning) => !report.sync.warnings.includes(warning)).map((warning) => `! ${warning}`),
    outcome,
    ...nextLines(report),
  ];
  return escapeControl(`${text.join('\n')}\n`);
}

/** Runs `irsa-issuer bootstrap` and prints its report and the next steps. */
export async function runBootstrap(flags: BootstrapFlags, io: CliIo): Promise<void> {
  if (flags.createRegistrarRoles === true && flags.accountRole.length === 0) {
    throw new ConfigError('--create-registrar-roles creates the registrar role of each --account-role: name them.');
  }
  const ca = flags.caFile === undefined ? undefined : await caFileFrom(flags.caFile);
  const setup = await bootstrapSetup(flags, io, ca);
  const report = await bootstrap(
    {
      issuer: setup.issuer,
      bucket: setup.bucket,
      prefix: setup.prefix,
      region: setup.region,
      partition: partitionOf(setup.region),
      cluster: setup.cluster,
      roleName: setup.role,
      namespace: setup.namespace,
      serviceAccount: setup.serviceAccount,
      allowPublicPolicy: flags.allowPublicPolicy === true,
      allowIssuerMismatch: flags.allowIssuerMismatch === true,
      keysFromFiles: flags.publicKeyFile.length > 0,
      dryRun: flags.dryRun === true,
      ...(flags.verify ? { verify: { ...(ca === undefined ? {} : { ca }), egress: setup.egress } } : {}),
      pinnedThumbprints: normaliseThumbprints(flags.thumbprint),
      cacheControl: defaultCacheControl,
      stageTimeoutMs: timeoutMsFrom(flags.timeout),
      accountRoles: parseAccountRoles(flags.accountRole, partitionOf(setup.region)),
      createRegistrarRoles: flags.createRegistrarRoles === true,
    },
    setup.clients,
  ).catch((error: unknown) => {
    if (error instanceof BootstrapFailedError && error.syncReport !== undefined)
      io.stdout.write(renderRunReport(error.syncReport, flags.output));
    throw error;
  });
  io.stdout.write(renderBootstrapReport(report, flags.output));
  const failure = report.sync.verification === undefined ? undefined : verificationFailure(report.sync.verification);
  if (failure !== undefined) throw failure;
}

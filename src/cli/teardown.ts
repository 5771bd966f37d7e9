import { Command, Option } from 'commander';
import {
  applyTeardown,
  bucketIssuerUrl,
  defaultClusterName,
  defaultRoleName,
  normalisePrefix,
  planTeardown,
  type TeardownItem,
  type TeardownReport,
  type TeardownRequest,
} from '../bootstrap/index.js';
import { ConfigError, InternalError, TeardownRefusedError } from '../errors.js';
import { createIamClient, iamRegionFor } from '../iam/index.js';
import { parseIssuer, type Issuer } from '../issuer.js';
import { createS3Client, parseTarget, targetFromIssuer } from '../publish/index.js';
import { escapeControl } from '../redact.js';
import type { CliIo } from './io.js';
import {
  addOutputOptions,
  addProxyOption,
  caFileFrom,
  egressFromFlags,
  loggerFrom,
  type EgressFlags,
  type OutputFlags,
} from './options.js';
import type { OutputFormat } from './report.js';
import { s3EndpointOption } from './store.js';

interface TeardownFlags extends OutputFlags, EgressFlags {
  readonly caFile?: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly prefix: string;
  readonly clusterName?: string;
  readonly roleName?: string;
  readonly yes?: boolean;
  readonly force?: boolean;
  readonly deleteBucket?: boolean;
  readonly s3Endpoint?: string;
}

const regionPattern = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
/** IAM role names: 1 to 64 of these. */
const roleNamePattern = /^[\w+=,.@-]{1,64}$/;

/**
 * The issuer bootstrap published for the bucket, checked against sync's own inference of the
 * bucket from it (publish/target.ts), so the two spellings cannot drift apart.
 */
function issuerOf(bucket: string, region: string, prefix: string): Issuer {
  const issuer = parseIssuer(bucketIssuerUrl(bucket, region, prefix));
  const implied = targetFromIssuer(issuer);
  if (implied !== undefined && (implied.kind !== 's3' || implied.bucket !== bucket || implied.prefix !== prefix)) {
    throw new InternalError(`the issuer ${issuer.url} does not imply s3://${bucket}/${prefix} again`);
  }
  return issuer;
}

function requestFrom(flags: TeardownFlags): TeardownRequest & { readonly region: string } {
  if (flags.bucket === undefined || flags.region === undefined) {
    throw new ConfigError(
      'teardown needs the bucket and its region, as given to bootstrap: --bucket B --region R ' +
        '(or IRSA_ISSUER_BUCKET and IRSA_ISSUER_REGION), and --prefix P if bootstrap had one.',
    );
  }
  const { region } = flags;
  if (!regionPattern.test(region)) {
    throw new ConfigError(
      `--region ${JSON.stringify(region)} is not an AWS region name (e.g. eu-west-1); pass the bucket's region.`,
    );
  }
  // sync's own parser of s3://BUCKET/PREFIX: the same bucket-name and prefix rules.
  const prefix = normalisePrefix(flags.prefix);
  const target = parseTarget(`s3://${flags.bucket}${prefix === '' ? '' : `/${prefix}`}`);
  if (target.kind !== 's3') throw new InternalError(`s3:// parsed as ${target.kind}`);
  const { bucket } = target;
  const roleName = flags.roleName ?? defaultRoleName(flags.clusterName ?? defaultClusterName(bucket, prefix));
  if (!roleNamePattern.test(roleName)) {
    throw new ConfigError(
      `The role name ${JSON.stringify(roleName)} is not one IAM accepts (1-64 letters, digits and +=,.@_-). ` +
        'Pass --role-name, or a --cluster-name made of those characters.',
    );
  }
  return {
    issuer: issuerOf(bucket, region, prefix),
    bucket,
    prefix,
    region,
    roleName,
    force: flags.force === true,
    deleteBucket: flags.deleteBucket === true,
  };
}

const actionWord: Record<TeardownItem['action'], string> = { delete: 'delete', keep: 'keep', absent: 'absent' };

function itemLine(item: TeardownItem, applied: boolean): string {
  const word =
    item.action !== 'delete'
      ? actionWord[item.action]
      : !applied
        ? 'delete'
        : item.deleted === true
          ? 'deleted'
          : 'not deleted';
  return `  ${word.padEnd(11)} ${item.kind.padEnd(13)} ${item.resource}: ${item.detail}`;
}

function outcome(report: TeardownReport): string {
  const planned = report.items.some((item) => item.action === 'delete');
  if (report.refusals.length > 0) return 'Refused: nothing was deleted.';
  if (report.failure !== undefined) {
    return `Failed at ${report.failure.resource}; what is marked "deleted" above is gone. Run teardown again to finish.`;
  }
  if (!planned) return 'Nothing to do: nothing bootstrap made for this issuer is left.';
  return report.applied
    ? 'Done: everything above marked "deleted" is gone.'
    : 'Plan only: nothing was changed. Run again with --yes to delete what is marked "delete".';
}

function reportText(report: TeardownReport): string {
  const lines = [`${report.applied ? 'Teardown' : 'Teardown plan'} for issuer ${report.issuer}`];
  for (const item of report.items) lines.push(itemLine(item, report.applied));
  for (const refusal of report.refusals) lines.push(`✗ ${refusal.reason}`);
  for (const warning of report.warnings) lines.push(`! ${warning}`);
  lines.push(outcome(report));
  return `${lines.join('\n')}\n`;
}

function render(report: TeardownReport, format: OutputFormat): string {
  return format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : escapeControl(reportText(report));
}

export function teardownCommand(io: CliIo): Command {
  const command = new Command('teardown')
    .summary('remove what bootstrap created for one issuer, and nothing else (prints the plan without --yes)')
    .description(
      'Removes, for the issuer https://BUCKET.s3.REGION.amazonaws.com[/PREFIX]: every version and delete marker of ' +
        'the objects sync and bootstrap write under the prefix (the two documents and openid/v1/exposed-kids), the ' +
        "bucket-policy statement bootstrap added (other statements stay), the IAM OIDC provider and the publisher's " +
        'role, each only when it carries the tags bootstrap put on it. Without --yes it prints the plan and changes ' +
        'nothing. Everything is checked before the first delete: a refusal deletes nothing. A second teardown finds ' +
        'nothing to do. Stop the in-cluster job first (helm uninstall), or it publishes again until its role is gone.',
    )
    .addOption(new Option('--bucket <name>', 'the bucket bootstrap published to'))
    .addOption(new Option('--region <region>', "the bucket's region; it names the issuer's host and the partition"))
    .addOption(new Option('--prefix <path>', 'the prefix under the bucket bootstrap used').default(''))
    .addOption(
      new Option('--cluster-name <name>', 'as given to bootstrap (default: the last prefix segment, else the bucket)'),
    )
    .addOption(
      new Option(
        '--role-name <name>',
        "the publisher's role, if bootstrap was given one (default: irsa-issuer-<cluster-name>)",
      ),
    )
    .addOption(new Option('--yes', 'delete; without it, only print the plan'))
    .addOption(new Option('--force', 'delete the provider even though other roles trust it (they are named)'))
    .addOption(
      new Option(
        '--delete-bucket',
        'also delete the bucket, only if bootstrap created it (tagged), nothing else is in it (no version or delete ' +
          'marker) and no provider for the issuer remains',
      ),
    )
    .addOption(s3EndpointOption());
  command.addOption(
    new Option('--ca-file <path>', 'also trust this CA (PEM) for outbound TLS to S3 and IAM (a corporate CA)'),
  );
  addProxyOption(command);
  addOutputOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  irsa-issuer teardown --bucket my-bucket --region eu-west-1 --prefix clusters/prod',
      '  irsa-issuer teardown --bucket my-bucket --region eu-west-1 --prefix clusters/prod --yes',
      '  irsa-issuer teardown --bucket my-bucket --region eu-west-1 --yes --delete-bucket --output json',
      '',
      'Exit codes: 0 done (or the plan printed), 1 failed (AWS; what was deleted is reported), 2 usage error,',
      '            3 refused (something with our names is not ours, or other roles trust the provider): nothing deleted.',
    ].join('\n'),
  );
  command.action(async (flags: TeardownFlags) => {
    const request = requestFrom(flags);
    const logger = loggerFrom(flags, io);
    const egress = egressFromFlags(
      flags,
      io.env,
      flags.caFile === undefined ? undefined : await caFileFrom(flags.caFile),
    );
    const clients = {
      s3: createS3Client({
        logger,
        egress,
        region: request.region,
        ...(flags.s3Endpoint === undefined ? {} : { endpoint: flags.s3Endpoint }),
      }),
      iam: createIamClient({ logger, egress, region: iamRegionFor(request.region) }),
      logger,
    };
    const plan = await planTeardown(request, clients);
    if (plan.report.refusals.length > 0 || flags.yes !== true) {
      io.stdout.write(render(plan.report, flags.output));
      if (plan.report.refusals.length > 0) {
        throw new TeardownRefusedError(
          `teardown refused; nothing was deleted:\n${plan.report.refusals.map((refusal) => `  ${refusal.reason}`).join('\n')}`,
        );
      }
      return;
    }
    const { report, error } = await applyTeardown(plan, clients);
    io.stdout.write(render(report, flags.output));
    if (error !== undefined) throw error;
  });
  return command;
}

/** What `irsa-issuer teardown` does, loaded only when it runs (teardown.ts declares the command). */
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
import { loadS3, parseTarget, targetFromIssuer } from '../publish/index.js';
import { escapeControl } from '../redact.js';
import type { CliIo } from './io.js';
import { caFileFrom, egressFromFlags, loggerFrom } from './flags.js';
import type { TeardownFlags } from './teardown.js';
import type { OutputFormat } from './report.js';

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

/** Runs `irsa-issuer teardown`: prints the plan, and with --yes carries it out. */
export async function runTeardown(flags: TeardownFlags, io: CliIo): Promise<void> {
  const request = requestFrom(flags);
  const logger = loggerFrom(flags, io);
  const egress = egressFromFlags(
    flags,
    io.env,
    flags.caFile === undefined ? undefined : await caFileFrom(flags.caFile),
  );
  const { createS3Client } = await loadS3();
  const clients = {
    s3: createS3Client({
      logger,
      egress,
      region: request.region,
      ...(flags.s3Endpoint === undefined ? {} : { endpoint: flags.s3Endpoint }),
    }),
    iam: await createIamClient({ logger, egress, region: iamRegionFor(request.region) }),
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
}

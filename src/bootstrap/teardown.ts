/**
 * teardown: remove what bootstrap created for one issuer, and nothing else. The planner only reads
 * and decides (every refusal is found before anything is deleted); the applier deletes in an order
 * where a failure half-way leaves nothing dangerous behind: the publisher role first (the in-cluster
 * job can no longer publish), then the provider (no role can be assumed with the issuer's tokens),
 * then the documents and their public-read statement, and the bucket last of all.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { describeCause, InternalError } from '../errors.js';
import { readProvider, type ProviderApi } from '../iam/index.js';
import type { Issuer } from '../issuer.js';
import type { Logger } from '../log.js';
import { isManagedFor, issuerTagKey, managedByTagKey, managedByTagValue, publicReadSid } from './names.js';
import { deleteProvider, deleteRole, readRole, rolesTrusting, type ActualRole } from './teardown-iam.js';
import {
  bucketTags,
  deleteBucket,
  deleteVersions,
  listVersions,
  ownKeys,
  ownVersions,
  policyWithout,
  publishedIssuer,
  removeStatement,
  type ObjectVersion,
} from './teardown-s3.js';

export interface TeardownRequest {
  readonly issuer: Issuer;
  readonly bucket: string;
  /** `''` or `a/b`, no slashes at either end. */
  readonly prefix: string;
  readonly roleName: string;
  /** Delete the provider although other roles trust it. */
  readonly force: boolean;
  readonly deleteBucket: boolean;
}

export interface TeardownClients {
  readonly s3: S3Client;
  readonly iam: ProviderApi;
  readonly logger: Logger;
}

export type TeardownKind = 'role' | 'provider' | 'objects' | 'bucket-policy' | 'bucket';

/** One thing teardown looked at: what it does with it, and (after `--yes`) whether that is done. */
export interface TeardownItem {
  readonly kind: TeardownKind;
  readonly resource: string;
  readonly action: 'delete' | 'keep' | 'absent';
  readonly detail: string;
  readonly deleted?: boolean;
}

export interface TeardownRefusal {
  readonly resource: string;
  readonly reason: string;
}

export interface TeardownReport {
  readonly issuer: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly role: string;
  /** False: a plan, nothing changed. */
  readonly applied: boolean;
  readonly items: readonly TeardownItem[];
  /** Any refusal: nothing is deleted at all. */
  readonly refusals: readonly TeardownRefusal[];
  readonly warnings: readonly string[];
  /** Set when applying stopped at an item; the items before it that say `deleted` are gone. */
  readonly failure?: { readonly resource: string; readonly message: string };
}

/** The report, and what the applier needs to act on it. */
export interface TeardownPlan {
  readonly report: TeardownReport;
  readonly role?: ActualRole;
  readonly providerArn?: string;
  readonly versions: readonly ObjectVersion[];
  readonly sid?: string;
  readonly deleteBucket: boolean;
}

function tagsText(tags: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(tags).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? 'no tags' : `tags ${pairs.join(', ')}`;
}

function notOurs(what: string, tags: Readonly<Record<string, string>>, issuer: Issuer): string {
  return (
    `${what} exists but was not made by bootstrap for ${issuer.url}: it carries ${tagsText(tags)}, not ` +
    `${managedByTagKey}=${managedByTagValue} with ${issuerTagKey}=${issuer.url}. Nothing was deleted; remove it ` +
    'yourself if it should go, or pass --role-name for the role bootstrap did make.'
  );
}

function count(versions: readonly ObjectVersion[]): string {
  const markers = versions.filter((version) => version.deleteMarker).length;
  const plain = versions.length - markers;
  const parts = [`${plain} version${plain === 1 ? '' : 's'}`];
  if (markers > 0) parts.push(`${markers} delete marker${markers === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/** Reads everything teardown would touch and decides; changes nothing. */
export async function planTeardown(request: TeardownRequest, clients: TeardownClients): Promise<TeardownPlan> {
  const { issuer, bucket, prefix } = request;
  const { s3, iam } = clients;
  const items: TeardownItem[] = [];
  const refusals: TeardownRefusal[] = [];
  const warnings: string[] = [];

  const actualRole = await readRole(iam, request.roleName);
  let role: ActualRole | undefined;
  if (actualRole === undefined) {
    items.push({ kind: 'role', resource: request.roleName, action: 'absent', detail: 'no role of that name' });
  } else if (!isManagedFor(actualRole.tags, issuer)) {
    refusals.push({
      resource: actualRole.arn,
      reason: notOurs(`The role ${actualRole.name}`, actualRole.tags, issuer),
    });
    items.push({ kind: 'role', resource: actualRole.arn, action: 'keep', detail: 'not made by bootstrap' });
  } else {
    role = actualRole;
    const inline = role.inlinePolicies.length === 0 ? 'none' : role.inlinePolicies.join(', ');
    const attached = role.attachedPolicyArns.length === 0 ? 'none' : role.attachedPolicyArns.join(', ');
    items.push({
      kind: 'role',
      resource: role.arn,
      action: 'delete',
      detail: `inline policies: ${inline}; managed policies detached: ${attached}`,
    });
  }

  const provider = await readProvider(issuer, iam);
  let providerArn: string | undefined;
  if (provider === undefined) {
    items.push({
      kind: 'provider',
      resource: issuer.providerName,
      action: 'absent',
      detail: 'no provider for this issuer',
    });
  } else if (!isManagedFor(provider.tags, issuer)) {
    refusals.push({
      resource: provider.arn,
      reason: notOurs(`The OIDC provider ${provider.arn}`, provider.tags, issuer),
    });
    items.push({ kind: 'provider', resource: provider.arn, action: 'keep', detail: 'not made by bootstrap' });
  } else {
    const trusting = (await rolesTrusting(iam, provider.arn)).filter((name) => name !== role?.name);
    const names = trusting.join(', ');
    if (trusting.length > 0 && !request.force) {
      refusals.push({
        resource: provider.arn,
        reason:
          `The OIDC provider ${provider.arn} is still trusted by role${trusting.length === 1 ? '' : 's'} ${names}: ` +
          `deleting it makes ${trusting.length === 1 ? 'that role' : 'them'} impossible to assume with this ` +
          "issuer's tokens. Nothing was deleted. Delete or re-point them first, or pass --force to delete the " +
          'provider anyway.',
      });
      items.push({ kind: 'provider', resource: provider.arn, action: 'keep', detail: `trusted by ${names}` });
    } else {
      providerArn = provider.arn;
      if (trusting.length > 0) {
        warnings.push(
          `--force: the provider is deleted although ${names} trust${trusting.length === 1 ? 's' : ''} it; ` +
            'tokens of this issuer can no longer assume them.',
        );
      }
      items.push({ kind: 'provider', resource: provider.arn, action: 'delete', detail: tagsText(provider.tags) });
    }
  }

  const versions = await ownVersions(s3, bucket, prefix);
  let sid: string | undefined;
  let deleteTheBucket = false;
  if (versions === undefined) {
    items.push({ kind: 'bucket', resource: `s3://${bucket}`, action: 'absent', detail: 'no such bucket' });
  } else {
    const named = await publishedIssuer(s3, bucket, prefix);
    const foreign = named !== undefined && named !== issuer.url;
    if (foreign) {
      refusals.push({
        resource: `s3://${bucket}/${ownKeys(prefix)[0] ?? ''}`,
        reason:
          `The discovery document at s3://${bucket}/${ownKeys(prefix)[0] ?? ''} names the issuer ${named}, not ` +
          `${issuer.url}: this prefix is published for another issuer (a CloudFront or custom-domain URL), and ` +
          'deleting its documents would lock out every workload that trusts it. Nothing was deleted.',
      });
    }
    for (const key of ownKeys(prefix)) {
      const mine = versions.filter((version) => version.key === key);
      const resource = `s3://${bucket}/${key}`;
      if (mine.length === 0) items.push({ kind: 'objects', resource, action: 'absent', detail: 'no version' });
      else items.push({ kind: 'objects', resource, action: foreign ? 'keep' : 'delete', detail: count(mine) });
    }

    const ourSid = publicReadSid(prefix);
    const change = await policyWithout(s3, bucket, ourSid);
    if (change === undefined) {
      items.push({
        kind: 'bucket-policy',
        resource: `s3://${bucket}`,
        action: 'absent',
        detail: `no statement ${ourSid}`,
      });
    } else {
      sid = ourSid;
      const others = change.remaining.length;
      items.push({
        kind: 'bucket-policy',
        resource: `s3://${bucket}`,
        action: 'delete',
        detail:
          others === 0
            ? `statement ${ourSid}, the only one: the bucket policy is deleted`
            : `statement ${ourSid}; ${others === 1 ? 'the 1 other statement stays' : `the ${others} other statements stay`}`,
      });
    }

    if (!request.deleteBucket) {
      items.push({
        kind: 'bucket',
        resource: `s3://${bucket}`,
        action: 'keep',
        detail: 'kept (--delete-bucket deletes it)',
      });
    } else {
      const reasons = await bucketRefusals(
        request,
        clients,
        versions,
        provider !== undefined && providerArn === undefined,
      );
      if (reasons.length > 0) {
        refusals.push({
          resource: `s3://${bucket}`,
          reason: `--delete-bucket: the bucket s3://${bucket} stays, because ${reasons.join('; and ')}. Nothing was deleted.`,
        });
        items.push({ kind: 'bucket', resource: `s3://${bucket}`, action: 'keep', detail: 'refused' });
      } else {
        deleteTheBucket = true;
        items.push({
          kind: 'bucket',
          resource: `s3://${bucket}`,
          action: 'delete',
          detail: 'empty once the above are gone',
        });
        warnings.push(
          `Deleting s3://${bucket} frees its name: anyone can create a bucket with it and serve their own keys at ` +
            `${issuer.url}. Any IAM OIDC provider for that issuer left in another account would trust them: delete those first.`,
        );
      }
    }
  }

  return {
    report: {
      issuer: issuer.url,
      bucket,
      prefix,
      role: request.roleName,
      applied: false,
      items,
      refusals,
      warnings,
    },
    ...(role === undefined ? {} : { role }),
    ...(providerArn === undefined ? {} : { providerArn }),
    versions: versions ?? [],
    ...(sid === undefined ? {} : { sid }),
    deleteBucket: deleteTheBucket,
  };
}

/** Why `--delete-bucket` may not delete the bucket: not ours, not empty, or a provider still trusts what it serves. */
async function bucketRefusals(
  request: TeardownRequest,
  clients: TeardownClients,
  ours: readonly ObjectVersion[],
  providerRemains: boolean,
): Promise<string[]> {
  const reasons: string[] = [];
  const tags = await bucketTags(clients.s3, request.bucket);
  if (tags[managedByTagKey] !== managedByTagValue) {
    reasons.push(`it does not carry the tag ${managedByTagKey}=${managedByTagValue} (bootstrap did not create it)`);
  }
  const own = new Set(ours.map((version) => `${version.key}\u0000${version.versionId}`));
  const others = ((await listVersions(clients.s3, request.bucket, '')) ?? []).filter(
    (version) => !own.has(`${version.key}\u0000${version.versionId}`),
  );
  if (others.length > 0) {
    const keys = [...new Set(others.map((version) => version.key))];
    const sample = keys.slice(0, 3).join(', ') + (keys.length > 3 ? ', ...' : '');
    reasons.push(
      `it holds ${others.length} other object version${others.length === 1 ? '' : 's'} or delete marker` +
        `${others.length === 1 ? '' : 's'} (${sample}) that teardown does not delete`,
    );
  }
  if (providerRemains) {
    reasons.push(
      `the IAM OIDC provider for ${request.issuer.url} remains, and would trust whoever re-creates the bucket name`,
    );
  }
  return reasons;
}

/**
 * Deletes what the plan marks `delete`, in the safe order. Never throws for an AWS failure: the
 * report says what was deleted before it, and the error is returned beside it for the CLI to exit with.
 */
export async function applyTeardown(
  plan: TeardownPlan,
  clients: TeardownClients,
): Promise<{ readonly report: TeardownReport; readonly error?: Error }> {
  if (plan.report.refusals.length > 0) throw new InternalError('a refused teardown plan reached the applier');
  const { s3, iam } = clients;
  const { bucket } = plan.report;
  const { role, providerArn, sid } = plan;
  const logger = clients.logger.child({ stage: 'teardown' });
  const steps: [TeardownKind, (() => Promise<void>) | undefined][] = [
    ['role', role === undefined ? undefined : () => deleteRole(iam, role)],
    ['provider', providerArn === undefined ? undefined : () => deleteProvider(iam, providerArn)],
    ['objects', () => deleteVersions(s3, bucket, plan.versions)],
    ['bucket-policy', sid === undefined ? undefined : () => removeStatement(s3, bucket, sid)],
    ['bucket', plan.deleteBucket ? () => deleteBucket(s3, bucket) : undefined],
  ];
  const deleted = new Set<TeardownKind>();
  for (const [kind, step] of steps) {
    if (step === undefined || !plan.report.items.some((item) => item.kind === kind && item.action === 'delete'))
      continue;
    try {
      await step();
      deleted.add(kind);
      logger.info({ kind }, 'deleted');
    } catch (error) {
      const items = mark(plan.report.items, deleted);
      const resource =
        plan.report.items.find((item) => item.kind === kind && item.action === 'delete')?.resource ?? kind;
      return {
        report: { ...plan.report, applied: true, items, failure: { resource, message: describeCause(error) } },
        error: error instanceof Error ? error : new InternalError(describeCause(error)),
      };
    }
  }
  return { report: { ...plan.report, applied: true, items: mark(plan.report.items, deleted) } };
}

function mark(items: readonly TeardownItem[], deleted: ReadonlySet<TeardownKind>): TeardownItem[] {
  return items.map((item) => (item.action === 'delete' ? { ...item, deleted: deleted.has(item.kind) } : item));
}

/**
 * teardown: remove what bootstrap created for one issuer, and nothing else. The planner
 * (teardown-plan.ts) only reads and decides: every refusal is found before anything is deleted. The
 * applier, here, deletes in an order
 * where a failure half-way leaves nothing dangerous behind: the publisher role first (the in-cluster
 * job can no longer publish), then the provider (no role can be assumed with the issuer's tokens),
 * then the documents and their public-read statement, and the bucket last of all.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { describeCause, InternalError } from '../errors.js';
import type { ProviderApi } from '../iam/index.js';
import type { Issuer } from '../issuer.js';
import type { Logger } from '../log.js';
import { deleteProvider, deleteRole, type ActualRole } from './teardown-iam.js';
import { deleteBucket, deleteVersions, removeStatement, type ObjectVersion } from './teardown-s3.js';

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

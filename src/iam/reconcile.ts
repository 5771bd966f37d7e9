import { awsErrorName, IamError } from '../errors.js';
import type { Logger } from '../log.js';
import { applyProviderPlan } from './apply.js';
import { planProvider, type PlanOptions, type ProviderPlan } from './plan.js';
import { readProvider, type ActualProvider, type DesiredProvider, type ProviderApi } from './provider.js';

export interface ReconcileOptions extends ReadAheadOptions {
  readonly log?: Logger;
}

export interface ReadAheadOptions extends PlanOptions {
  /** The provider as read already, started before the stage (`readProviderAhead`); read now when absent. */
  readonly readAhead?: Promise<ActualProvider | undefined>;
}

/** Tags are read only when the run asks for some: nothing else looks at them. */
export function tagsNeeded(desired: Pick<DesiredProvider, 'tags'>): boolean {
  return Object.keys(desired.tags).length > 0;
}

/**
 * Starts the provider read now, for a stage that runs later (sync starts every read at once); the
 * promise never rejects unhandled, and rejects with the read's own error when awaited.
 */
export function readProviderAhead(
  desired: Pick<DesiredProvider, 'issuer' | 'tags'>,
  api: ProviderApi,
): Promise<ActualProvider | undefined> {
  const read = readProvider(desired.issuer, api, { tags: tagsNeeded(desired) });
  read.catch(() => undefined);
  return read;
}

export interface ProviderReconciliation {
  readonly arn: string;
  /** The plan that was applied (after a race, the second one). */
  readonly plan: ProviderPlan;
  /** False when the plan was empty and no IAM write call was made. */
  readonly applied: boolean;
}

/** Read + plan, nothing written: what `--dry-run` prints. Needs only the read actions. */
export async function previewProvider(
  desired: DesiredProvider,
  api: ProviderApi,
  options: ReadAheadOptions,
): Promise<ProviderPlan> {
  const actual = await (options.readAhead ?? readProvider(desired.issuer, api, { tags: tagsNeeded(desired) }));
  return planProvider(desired, actual, options);
}

function lostCreateRace(error: unknown, plan: ProviderPlan): boolean {
  return (
    error instanceof IamError &&
    plan.changes[0]?.kind === 'create' &&
    awsErrorName(error.cause) === 'EntityAlreadyExists'
  );
}

/**
 * Makes the issuer's IAM OIDC provider match `desired`: reads it, plans, applies. When another
 * writer creates the provider between our read and our create (IAM: EntityAlreadyExists), reads
 * again and reconciles against what it made, once.
 */
export async function reconcileProvider(
  desired: DesiredProvider,
  api: ProviderApi,
  options: ReconcileOptions,
): Promise<ProviderReconciliation> {
  const log = options.log?.child({ stage: 'iam' });
  const applyOptions = options.log ? { log: options.log } : {};
  const plan = await previewProvider(desired, api, options);
  try {
    const arn = await applyProviderPlan(plan, api, applyOptions);
    return { arn, plan, applied: plan.changes.length > 0 };
  } catch (error) {
    if (!lostCreateRace(error, plan)) throw error;
    log?.warn({ issuer: desired.issuer.url }, 'another writer created the provider first; reconciling against it');
  }
  const actual = await readProvider(desired.issuer, api, { tags: tagsNeeded(desired) });
  if (actual === undefined) {
    throw new IamError(
      `IAM said the OIDC provider for ${desired.issuer.url} already exists, but it is not listed. Another writer may ` +
        `be creating and deleting it; run again once it has settled.`,
    );
  }
  const replan = planProvider(desired, actual, options);
  const arn = await applyProviderPlan(replan, api, applyOptions);
  return { arn, plan: replan, applied: replan.changes.length > 0 };
}

import type { Logger } from '../log.js';
import type { StageOutcome } from '../report.js';
import type { ProviderPlan } from './plan.js';
import type { ActualProvider, DesiredProvider, ProviderApi } from './provider.js';
import { previewProvider, reconcileProvider } from './reconcile.js';

export interface RegisterOptions {
  readonly dryRun: boolean;
  /** Remove client IDs the provider lists but the desired state does not (`--prune-audiences`). */
  readonly pruneAudiences: boolean;
  readonly pruneThumbprints: boolean;
  /** The provider as already read (`readProviderAhead`, started with the run); read in the stage when absent. */
  readonly readAhead?: Promise<ActualProvider | undefined>;
}

function keptNotes(plan: ProviderPlan): string[] {
  return [
    ...plan.kept.thumbprints.map(
      (thumbprint) => `kept thumbprint ${thumbprint} (not asked for; --prune-thumbprints removes it)`,
    ),
    ...plan.kept.clientIds.map((clientId) => `kept audience ${clientId} (not asked for; --prune-audiences removes it)`),
    ...Object.entries(plan.kept.tags).map(([key, value]) => `kept tag ${key}=${value}`),
  ];
}

/** Every call through `api` carries this deadline, retries included. */
export function withDeadline(api: ProviderApi, signal: AbortSignal | undefined): ProviderApi {
  if (signal === undefined) return api;
  const send = (command: unknown, options?: object) =>
    (api.send as (command: unknown, options: object) => Promise<unknown>)(command, { ...options, abortSignal: signal });
  return { send: send as ProviderApi['send'] };
}

/** The register stage of a run: make the IAM OIDC provider trust this issuer, or, on a dry run, plan to. */
export async function registerStage(
  desired: DesiredProvider,
  client: ProviderApi,
  options: RegisterOptions,
  log: Logger,
  signal?: AbortSignal,
): Promise<StageOutcome<ProviderPlan>> {
  const api = withDeadline(client, signal);
  let plan: ProviderPlan;
  let arn: string | undefined;
  let status: 'changed' | 'unchanged' | 'planned';
  if (options.dryRun) {
    plan = await previewProvider(desired, api, options);
    arn = plan.arn;
    status = plan.changes.length === 0 ? 'unchanged' : 'planned';
  } else {
    const result = await reconcileProvider(desired, api, { ...options, log });
    plan = result.plan;
    arn = result.arn;
    status = result.applied ? 'changed' : 'unchanged';
  }
  const summary =
    status === 'unchanged'
      ? `provider ${arn ?? plan.providerName} already up to date`
      : `${plan.changes.length} change(s) to ${arn ?? `a new provider for ${plan.providerName}`}`;
  return {
    value: plan,
    status,
    summary,
    changes: plan.changes.map((change) => change.description),
    notes: keptNotes(plan),
  };
}

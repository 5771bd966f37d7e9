/** The one log line each run leaves: what every stage did, what changed, how long, where it failed. */
import type { Stage, StepStatus } from '../report.js';
import { oneLine } from './readiness.js';
import { publishedKids, type FinishedRun } from './runs.js';

export interface RunSummary {
  readonly run: number;
  readonly result: 'success' | 'failure';
  readonly startedAt: string;
  readonly durationMs: number;
  /** Each stage's status, in pipeline order. */
  readonly steps: Partial<Record<Stage, StepStatus>>;
  /** With --account-role: each account's register status (the stage's own is the worst of them). */
  readonly accounts?: Readonly<Record<string, StepStatus>>;
  /** The changes made, by stage; only stages that made some. */
  readonly changes: Partial<Record<Stage, readonly string[]>>;
  readonly failure?: { readonly stage: string; readonly code: string; readonly message: string };
  readonly publishedKeys?: number;
  /** The kid of the daemon's own AWS token, when AWS_WEB_IDENTITY_TOKEN_FILE is set and readable. */
  readonly ownKid?: string;
  readonly lockout?: string;
}

/** A stage run once per account reports its worst line: one failed account fails it. */
const severity: readonly StepStatus[] = ['skipped', 'unchanged', 'planned', 'changed', 'failed'];

export function runSummary(run: FinishedRun, own: { kid?: string; lockout?: string }): RunSummary {
  const steps: Partial<Record<Stage, StepStatus>> = {};
  const changes: Partial<Record<Stage, readonly string[]>> = {};
  const accounts: Record<string, StepStatus> = {};
  for (const step of run.report?.steps ?? []) {
    const earlier = steps[step.stage];
    steps[step.stage] =
      earlier === undefined || severity.indexOf(step.status) > severity.indexOf(earlier) ? step.status : earlier;
    if (step.account !== undefined) accounts[step.account] = step.status;
    if (step.changes.length > 0 && (step.status === 'changed' || step.status === 'planned'))
      changes[step.stage] = [...(changes[step.stage] ?? []), ...step.changes];
  }
  const published = publishedKids(run);
  const { failure } = run;
  return {
    run: run.number,
    result: failure === undefined ? 'success' : 'failure',
    startedAt: run.startedAt.toISOString(),
    durationMs: run.durationMs,
    steps,
    ...(Object.keys(accounts).length === 0 ? {} : { accounts }),
    changes,
    ...(failure === undefined
      ? {}
      : { failure: { stage: failure.stage, code: failure.code, message: oneLine(failure.message) } }),
    ...(published === undefined ? {} : { publishedKeys: published.length }),
    ...(own.kid === undefined ? {} : { ownKid: own.kid }),
    ...(own.lockout === undefined ? {} : { lockout: own.lockout }),
  };
}

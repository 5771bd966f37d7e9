/**
 * Runs, one at a time: a trigger while a run is in flight is skipped, never queued or overlapped
 * (two runs would race each other's conditional writes and double every AWS call).
 */
import { describeCause, isIrsaIssuerError, RunFailedError } from '../errors.js';
import type { RunReport, Stage } from '../report.js';
import { verificationFailure } from '../verify/index.js';

/** Where a run stopped: a pipeline stage, or `internal` for a bug (a throw that is no IrsaIssuerError). */
export type FailureStage = Stage | 'internal';

export interface RunFailure {
  readonly stage: FailureStage;
  readonly code: string;
  readonly message: string;
}

export interface FinishedRun {
  /** 1 for the run at start, counting every run since. */
  readonly number: number;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly durationMs: number;
  /** What the stages did; absent only for a bug that left no report. */
  readonly report?: RunReport;
  /** Absent when the run succeeded (with `--verify`, every check that ran passed). */
  readonly failure?: RunFailure;
}

export interface SkippedRun {
  readonly at: Date;
  /** The run still in flight. */
  readonly running: { readonly number: number; readonly startedAt: Date };
}

export interface RunLoop {
  /** Starts a run, or skips (and reports the skip) when one is in flight. */
  trigger(): void;
  /** The run in flight, if any; it settles once the run is finished and reported. */
  readonly inFlight: Promise<void> | undefined;
}

export interface RunLoopHooks {
  /** Part of the run: the next one cannot start before this settles. Must not throw. */
  onFinished(run: FinishedRun): Promise<void>;
  onSkipped(skip: SkippedRun): void;
}

/**
 * The kids of the published JWKS as this run left it: known when its publish stage wrote the
 * documents or found them right, not after a dry run's plan or a failure before publishing.
 */
export function publishedKids(run: FinishedRun): readonly string[] | undefined {
  const publish = run.report?.steps.find((step) => step.stage === 'publish');
  if (publish === undefined || (publish.status !== 'changed' && publish.status !== 'unchanged')) return undefined;
  return run.report?.kids;
}

/** A run's outcome from what `sync` returned or threw. */
function outcome(result: { report: RunReport } | { error: unknown }): { report?: RunReport; failure?: RunFailure } {
  if ('report' in result) {
    const { report } = result;
    const failed = report.verification === undefined ? undefined : verificationFailure(report.verification);
    return failed === undefined
      ? { report }
      : { report, failure: { stage: 'verify', code: failed.code, message: failed.message } };
  }
  const { error } = result;
  if (error instanceof RunFailedError && error.report.failure !== undefined) {
    return { report: error.report, failure: error.report.failure };
  }
  if (isIrsaIssuerError(error)) return { failure: { stage: 'internal', code: error.code, message: error.message } };
  return {
    failure: {
      stage: 'internal',
      code: 'ERR_INTERNAL',
      message:
        `internal error: ${describeCause(error)}. This is a bug in irsa-issuer; please report it with the log ` +
        `lines around it.`,
    },
  };
}

export function runLoop(run: () => Promise<RunReport>, hooks: RunLoopHooks): RunLoop {
  let count = 0;
  let current: { number: number; startedAt: Date; done: Promise<void> } | undefined;

  const start = (): void => {
    count += 1;
    const number = count;
    const startedAt = new Date();
    const started = performance.now();
    const done = run()
      .then(
        (report) => ({ report }),
        (error: unknown) => ({ error }),
      )
      .then(async (result) => {
        const finishedAt = new Date();
        await hooks.onFinished({
          number,
          startedAt,
          finishedAt,
          durationMs: Math.round(performance.now() - started),
          ...outcome(result),
        });
      })
      .finally(() => {
        current = undefined;
      });
    current = { number, startedAt, done };
  };

  return {
    trigger() {
      if (current === undefined) start();
      else hooks.onSkipped({ at: new Date(), running: { number: current.number, startedAt: current.startedAt } });
    },
    get inFlight() {
      return current?.done;
    },
  };
}

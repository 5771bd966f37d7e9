/**
 * The schedule: a node-cron expression (five fields, or six with seconds first, or `@hourly` and
 * the like), checked up front, and its interval, which readiness measures staleness in.
 */
import { createTask, validateDetailed, type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import { ConfigError, describeCause } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * Firings looked at for the interval. Enough to cover the uneven gaps of the usual irregular
 * schedules: a weekday schedule's weekend, `0 0,1 * * *`'s 23 hours.
 */
const firingsForInterval = 8;

export interface Schedule {
  readonly expression: string;
  /**
   * The longest gap between the schedule's next firings: for an even schedule (`*\/10 * * * *`)
   * the gap between any two, for an uneven one the longest, so readiness does not flap in its
   * long gaps.
   */
  readonly intervalMs: number;
}

export interface Ticker {
  start(): void;
  /** No tick fires after this; the timer no longer holds the event loop. */
  stop(): void;
}

/** node-cron reports to console by default; route what it says (missed ticks) to our logger. */
function cronLogger(log: Logger): CronLogger {
  return {
    info: (message) => {
      log.debug(message);
    },
    warn: (message) => {
      log.warn(message);
    },
    error: (message, error) => {
      log.error({ error: describeCause(error ?? message) }, 'scheduler error');
    },
    debug: (message) => {
      log.debug(typeof message === 'string' ? message : describeCause(message));
    },
  };
}

function invalid(expression: string, why: string): ConfigError {
  return new ConfigError(
    `--schedule ${JSON.stringify(expression)} is not a cron expression (${why}). Use five fields ` +
      '"MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK" (e.g. "*/10 * * * *", every ten minutes), six with ' +
      'seconds first (e.g. "*/30 * * * * *"), or @hourly / @daily.',
  );
}

/** Checks the expression and measures its interval; a bad one is exit 2 before anything runs. */
export function parseSchedule(expression: string): Schedule {
  const trimmed = expression.trim();
  if (trimmed === '') throw invalid(expression, 'it is empty');
  const checked = validateDetailed(trimmed);
  if (!checked.valid) throw invalid(expression, checked.errors.map((error) => error.message).join('; '));
  const probe = createTask(trimmed, () => undefined);
  let firings: Date[];
  try {
    firings = probe.getNextRuns(firingsForInterval);
  } finally {
    void probe.destroy();
  }
  let intervalMs = 0;
  for (let index = 1; index < firings.length; index++) {
    const gap = (firings[index]?.getTime() ?? 0) - (firings[index - 1]?.getTime() ?? 0);
    intervalMs = Math.max(intervalMs, gap);
  }
  if (intervalMs <= 0) throw invalid(expression, 'it never fires twice');
  return { expression: trimmed, intervalMs };
}

/**
 * Calls `tick` on every firing. The callback decides for itself whether to run (the daemon never
 * runs two syncs at once), so node-cron's own overlap handling stays out of the way.
 */
export function ticker(schedule: Schedule, tick: () => void, log: Logger): Ticker {
  let task: ScheduledTask | undefined;
  return {
    start() {
      task ??= createTask(
        schedule.expression,
        () => {
          tick();
        },
        { logger: cronLogger(log), name: 'irsa-issuer' },
      );
      void task.start();
    },
    stop() {
      if (task === undefined) return;
      void task.destroy();
      task = undefined;
    },
  };
}

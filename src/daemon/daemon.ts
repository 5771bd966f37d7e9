/**
 * The daemon: a run at start and on every tick of the schedule, one at a time; after each run its
 * summary line, its metrics, and the facts readiness answers from; the probe server beside it.
 */
import { describeCause } from '../errors.js';
import type { Logger } from '../log.js';
import type { RunReport } from '../report.js';
import { serveProbes, type ListenAddress, type ProbeServer } from './http.js';
import { lockoutReason, ownTokenKid } from '../lockout.js';
import { createMetrics } from './metrics.js';
import { readiness, type ReadinessFacts } from './readiness.js';
import { publishedKids, runLoop, type FinishedRun } from './runs.js';
import { ticker, type Schedule } from './schedule.js';
import { runSummary } from './summary.js';

export interface DaemonOptions {
  readonly schedule: Schedule;
  /** Absent: no HTTP server (`--listen ''`). */
  readonly listen?: ListenAddress;
  /** The public issuer, for the way back in that a lock-out names. */
  readonly issuer: string;
  /** AWS_WEB_IDENTITY_TOKEN_FILE: the token the daemon reaches AWS with, checked after every run. */
  readonly ownTokenFile?: string;
  readonly logger: Logger;
  /** One sync, with the clients built once and reused run after run. */
  readonly run: () => Promise<RunReport>;
  /** After each run's summary line: the CLI prints the run's report. */
  readonly onRun?: (run: FinishedRun) => void;
}

export type StopOutcome = 'finished' | 'timed-out';

export interface Daemon {
  /** The probe server's bound `HOST:PORT`; absent with `--listen ''`. */
  readonly address?: string;
  /**
   * Stops scheduling, lets the run in flight finish within `graceMs`, then closes the probe
   * server. `timed-out`: the run was still going when the grace ran out.
   */
  stop(graceMs: number): Promise<StopOutcome>;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger: log, schedule } = options;
  const metrics = createMetrics();
  const facts: { -readonly [K in keyof ReadinessFacts]: ReadinessFacts[K] } = {
    intervalMs: schedule.intervalMs,
    stopping: false,
  };
  /** The published key set as the last run that published left it. */
  let published: readonly string[] | undefined;

  /** Is the daemon's own token signed by a key the published JWKS lacks? Undefined when unknown. */
  const checkOwnToken = async (): Promise<{ kid?: string; lockout?: string }> => {
    if (options.ownTokenFile === undefined) return {};
    const own = await ownTokenKid(options.ownTokenFile);
    if ('problem' in own) {
      log.warn({ problem: own.problem }, "cannot tell which key signs the daemon's own AWS token");
      return {};
    }
    if (published === undefined || published.includes(own.kid)) return { kid: own.kid };
    return { kid: own.kid, lockout: lockoutReason(own.kid, options.issuer) };
  };

  const record = async (run: FinishedRun): Promise<void> => {
    published = publishedKids(run) ?? published;
    const own = await checkOwnToken();
    facts.last = { finishedAt: run.finishedAt, ...(run.failure === undefined ? {} : { failure: run.failure }) };
    if (own.lockout === undefined) delete facts.lockout;
    else facts.lockout = own.lockout;
    metrics.recordRun(run);
    metrics.recordLockout(own.kid === undefined || published === undefined ? undefined : own.lockout !== undefined);
    const summary = runSummary(run, own);
    if (summary.failure !== undefined) log.error(summary, 'run failed');
    else if (summary.lockout !== undefined) log.error(summary, 'run finished, but the daemon is locked out of AWS');
    else log.info(summary, 'run finished');
    options.onRun?.(run);
  };
  // Bookkeeping that throws is a bug; it must not take the schedule down with it.
  const onFinished = (run: FinishedRun): Promise<void> =>
    record(run).catch((error: unknown) => {
      log.error(
        { run: run.number, error: describeCause(error) },
        'internal error after a run; this is a bug in irsa-issuer, please report it',
      );
    });

  const loop = runLoop(options.run, {
    onFinished,
    onSkipped(skip) {
      metrics.recordSkip();
      log.warn(
        { running: skip.running.number, since: skip.running.startedAt.toISOString() },
        `schedule tick skipped: run ${String(skip.running.number)} is still going`,
      );
    },
  });

  const server: ProbeServer | undefined =
    options.listen === undefined
      ? undefined
      : await serveProbes(
          options.listen,
          { readiness: () => readiness(facts, new Date()), metrics: () => metrics.render() },
          log,
        );
  const ticks = ticker(
    schedule,
    () => {
      loop.trigger();
    },
    log,
  );
  ticks.start();
  log.info(
    { schedule: schedule.expression, intervalSeconds: schedule.intervalMs / 1000, listen: server?.address ?? 'off' },
    'daemon started',
  );
  loop.trigger();

  return {
    ...(server === undefined ? {} : { address: server.address }),
    async stop(graceMs) {
      facts.stopping = true;
      ticks.stop();
      let outcome: StopOutcome = 'finished';
      const inFlight = loop.inFlight;
      if (inFlight !== undefined) {
        log.info({ graceSeconds: graceMs / 1000 }, 'stopping: waiting for the run in flight');
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<StopOutcome>((resolve) => {
          timer = setTimeout(() => {
            resolve('timed-out');
          }, graceMs);
        });
        outcome = await Promise.race([inFlight.then((): StopOutcome => 'finished'), graceOver]);
        clearTimeout(timer);
      }
      await server?.close();
      return outcome;
    },
  };
}

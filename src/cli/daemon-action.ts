/** What `irsa-issuer daemon` does, loaded only when it runs (daemon.ts declares the command). */
import { ConfigError, ExitCode } from '../errors.js';
import { parseListen, parseSchedule, startDaemon } from '../daemon/index.js';
import { sync } from '../sync.js';
import type { CliIo } from './io.js';
import { renderRunReport } from './report.js';
import { defaultGraceSeconds, type DaemonFlags } from './daemon.js';
import { syncSetup } from './sync-action.js';

function graceMsFrom(raw: string): number {
  const seconds = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new ConfigError(
      `--shutdown-grace ${JSON.stringify(raw)} is not a number of seconds from 0 to 3600; keep it under the pod's ` +
        `terminationGracePeriodSeconds (default ${String(defaultGraceSeconds)}, for Kubernetes' 30).`,
    );
  }
  return Math.round(seconds * 1000);
}

function scheduleFrom(raw: string | undefined) {
  if (raw === undefined) {
    throw new ConfigError(
      'No schedule given: pass --schedule "*/10 * * * *" (or set IRSA_ISSUER_SCHEDULE), the cron expression of the ' +
        'runs after the first.',
    );
  }
  return parseSchedule(raw);
}

/**
 * SIGTERM and SIGINT: the first asks for a graceful stop, a second one exits at once. Kubernetes
 * sends SIGTERM on every rollout and node drain; a person at a terminal presses Ctrl-C twice.
 */
function shutdownSignals(io: CliIo): { first: Promise<NodeJS.Signals>; dispose(): void } {
  let received = 0;
  let resolveFirst: (signal: NodeJS.Signals) => void = () => undefined;
  const first = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received === 1) {
      resolveFirst(signal);
      return;
    }
    io.stderr.write(`irsa-issuer: ${signal} again: exiting now, without waiting for the run in flight.\n`);
    process.exit(ExitCode.failed);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    first,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/** Runs `irsa-issuer daemon` until SIGTERM or SIGINT. */
export async function runDaemon(flags: DaemonFlags, io: CliIo): Promise<void> {
  const schedule = scheduleFrom(flags.schedule);
  const listen = parseListen(flags.listen);
  const graceMs = graceMsFrom(flags.shutdownGrace);
  const { request, clients } = await syncSetup(flags, io);
  const signals = shutdownSignals(io);
  try {
    const tokenFile = io.env.AWS_WEB_IDENTITY_TOKEN_FILE;
    const daemon = await startDaemon({
      schedule,
      ...(listen === undefined ? {} : { listen }),
      issuer: request.issuer.url,
      ...(tokenFile === undefined || tokenFile === '' ? {} : { ownTokenFile: tokenFile }),
      logger: clients.logger,
      run: () => sync(request, clients),
      onRun: (run) => {
        if (run.report !== undefined) io.stdout.write(renderRunReport(run.report, flags.output));
      },
    });
    const signal = await signals.first;
    clients.logger.info({ signal }, 'stopping: no more scheduled runs');
    const outcome = await daemon.stop(graceMs);
    if (outcome === 'timed-out') {
      io.stderr.write(
        `irsa-issuer: the run in flight did not finish within --shutdown-grace ${String(graceMs / 1000)} s; ` +
          'exiting with it unfinished; the next start syncs again from the beginning.\n',
      );
      process.exit(ExitCode.failed);
    }
    clients.logger.info('stopped');
  } finally {
    signals.dispose();
  }
}

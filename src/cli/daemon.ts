import { Command, Option } from 'commander';
import { ConfigError, ExitCode } from '../errors.js';
import { parseListen, parseSchedule, startDaemon } from '../daemon/index.js';
import { sync } from '../sync.js';
import type { CliIo } from './io.js';
import { renderRunReport } from './report.js';
import { addSyncOptions, syncSetup, type SyncFlags } from './sync.js';

interface DaemonFlags extends SyncFlags {
  readonly schedule?: string;
  readonly listen: string;
  readonly shutdownGrace: string;
}

/** Under the pod's default terminationGracePeriodSeconds (30), so a run can finish before SIGKILL. */
const defaultGraceSeconds = 25;

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

export function daemonCommand(io: CliIo): Command {
  const command = new Command('daemon')
    .summary('sync at start and on a schedule, with /healthz, /readyz and /metrics (the Deployment runs this)')
    .description(
      'Runs `irsa-issuer sync` at start and then on every tick of --schedule, never two at once: a tick ' +
        'while a run is still going is skipped (and counted). The Kubernetes, S3 and IAM clients are built ' +
        'once and reused. Each run prints its report on stdout (--output) and one summary line on stderr. ' +
        'SIGTERM or SIGINT stops the schedule and lets the run in flight finish within --shutdown-grace; ' +
        'a second signal exits at once.',
    );
  command
    .addOption(
      new Option(
        '--schedule <cron>',
        'when to sync after the first run: five cron fields, six with seconds first, or @hourly/@daily (e.g. ' +
          '"*/10 * * * *")',
      ),
    )
    .addOption(
      new Option(
        '--listen <address>',
        "serve /healthz, /readyz and /metrics on :PORT or HOST:PORT; '' for no HTTP",
      ).default(':8080'),
    )
    .addOption(
      new Option(
        '--shutdown-grace <seconds>',
        'after SIGTERM/SIGINT, how long the run in flight may take to finish',
      ).default(String(defaultGraceSeconds)),
    );
  addSyncOptions(command);
  // A daemon's log is all it says between runs: its summary lines are at info.
  command.options.find((option) => option.long === '--log-level')?.default('info');
  command.setOptionValueWithSource('logLevel', 'info', 'default');
  const verify = command.options.find((option) => option.long === '--verify');
  if (verify !== undefined) {
    verify.description =
      'after each run publishes, run the checks of `irsa-issuer verify`; a failed check fails the run (/readyz 503)';
  }
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  irsa-issuer daemon --schedule "*/10 * * * *" \\',
      '      --issuer https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod',
      '  irsa-issuer daemon --schedule "0 * * * *" --listen 127.0.0.1:9090 --verify \\',
      '      --issuer https://oidc.example.com/prod --target file:///srv/www/oidc --no-register',
      '',
      'Endpoints (GET or HEAD; anything else is 404 or 405):',
      '  /healthz  200 while the process is alive.',
      '  /readyz   200 once the last run succeeded and is younger than two schedule intervals (the',
      "            longest gap between the schedule's next firings); otherwise 503 and one line why: no",
      '            run yet, the stage the last run failed at and its message, a success too old, or a',
      "            lock-out: the key that signed the daemon's own AWS token (AWS_WEB_IDENTITY_TOKEN_FILE)",
      '            is missing from the published JWKS, so STS refuses it; the way back in is one',
      '            `irsa-issuer sync` from a workstation with admin AWS credentials.',
      '  /metrics  Prometheus text: irsa_issuer_runs_total{result}, irsa_issuer_failures_total{stage},',
      '            (with --account-role, register failures per account: {stage="register",account="ID"}),',
      '            irsa_issuer_changes_total{stage}, irsa_issuer_run_duration_seconds,',
      '            irsa_issuer_last_success_timestamp_seconds, irsa_issuer_published_keys,',
      '            irsa_issuer_locked_out, and Node process metrics.',
      '',
      'Exit codes: 0 stopped by SIGTERM/SIGINT after the run in flight finished,',
      '            1 the grace ran out with a run still going, or a second signal,',
      '            2 usage or configuration error (a bad --schedule, --listen or --shutdown-grace,',
      '              or a port that cannot be bound). A failed run does not stop the daemon.',
    ].join('\n'),
  );
  command.action(async (flags: DaemonFlags) => {
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
  });
  return command;
}

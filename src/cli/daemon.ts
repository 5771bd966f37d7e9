import { Command, Option } from 'commander';
import type { CliIo } from './io.js';
import { addSyncOptions, type SyncFlags } from './sync.js';

export interface DaemonFlags extends SyncFlags {
  readonly schedule?: string;
  readonly listen: string;
  readonly shutdownGrace: string;
}

/** Under the pod's default terminationGracePeriodSeconds (30), so a run can finish before SIGKILL. */
export const defaultGraceSeconds = 25;

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
    const { runDaemon } = await import('./daemon-action.js');
    await runDaemon(flags, io);
  });
  return command;
}

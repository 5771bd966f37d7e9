/**
 * `/metrics`: Prometheus text from a registry of the daemon's own (prom-client's global one is
 * shared by whatever else loads prom-client), with Node's default process metrics beside ours.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Stage } from '../report.js';
import { publishedKids, type FailureStage, type FinishedRun } from './runs.js';

const stages: readonly Stage[] = ['read', 'build', 'publish', 'thumbprint', 'register', 'verify'];
const failureStages: readonly FailureStage[] = [...stages, 'internal'];
const results = ['success', 'failure', 'skipped'] as const;

export interface DaemonMetrics {
  recordRun(run: FinishedRun): void;
  recordSkip(): void;
  /** `undefined`: not known (no token file, or nothing published yet). */
  recordLockout(lockedOut: boolean | undefined): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(): DaemonMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const lastSuccess = new Gauge({
    name: 'irsa_issuer_last_success_timestamp_seconds',
    help: 'Unix time at which the last successful run finished.',
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'irsa_issuer_run_duration_seconds',
    help: 'Wall time of each run, successful or not.',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const runs = new Counter({
    name: 'irsa_issuer_runs_total',
    help: 'Runs by result: success, failure, or skipped (a schedule tick while a run was still going).',
    labelNames: ['result'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'irsa_issuer_failures_total',
    help:
      'Failed runs by the stage that stopped them (internal: a bug); with --account-role, register failures ' +
      'once per failed account (account: its ID, or home).',
    labelNames: ['stage', 'account'],
    registers: [registry],
  });
  const changes = new Counter({
    name: 'irsa_issuer_changes_total',
    help: 'Changes written, by stage (a published document, a provider update).',
    labelNames: ['stage'],
    registers: [registry],
  });
  const publishedKeys = new Gauge({
    name: 'irsa_issuer_published_keys',
    help: 'Keys in the JWKS as the last run that published left it.',
    registers: [registry],
  });
  const lockedOut = new Gauge({
    name: 'irsa_issuer_locked_out',
    help: "1 while the key that signed the daemon's own AWS token is missing from the published JWKS (see /readyz).",
    registers: [registry],
  });
  // Every series exists from the start at 0, so rate() and alerts see the first failure.
  for (const result of results) runs.inc({ result }, 0);
  for (const stage of failureStages) failures.inc({ stage }, 0);
  for (const stage of stages) changes.inc({ stage }, 0);

  return {
    recordRun(run) {
      duration.observe(run.durationMs / 1000);
      runs.inc({ result: run.failure === undefined ? 'success' : 'failure' });
      if (run.failure === undefined) lastSuccess.set(run.finishedAt.getTime() / 1000);
      else {
        // With --account-role every account that failed is counted, so an alert can name it.
        const failedAccounts = (run.report?.steps ?? []).flatMap((step) =>
          step.status === 'failed' && step.account !== undefined ? [step.account] : [],
        );
        if (failedAccounts.length === 0) failures.inc({ stage: run.failure.stage });
        for (const account of failedAccounts) failures.inc({ stage: run.failure.stage, account });
      }
      for (const step of run.report?.steps ?? []) {
        if (step.status === 'changed') changes.inc({ stage: step.stage }, Math.max(1, step.changes.length));
      }
      const published = publishedKids(run);
      if (published !== undefined) publishedKeys.set(published.length);
    },
    recordSkip() {
      runs.inc({ result: 'skipped' });
    },
    recordLockout(value) {
      if (value !== undefined) lockedOut.set(value ? 1 : 0);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

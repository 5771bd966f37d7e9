/**
 * One run, as a recipe: read -> build -> publish -> thumbprint -> register -> verify. Each stage
 * lives in its folder and returns its own line of the report; this file only orders them, times
 * them and collects what they report.
 */
import { readStage, type ClusterReader } from './cluster/index.js';
import { buildStage } from './documents/index.js';
import { registerStage, type ActualProvider, type ProviderApi } from './iam/index.js';
import type { Issuer } from './issuer.js';
import type { Logger } from './log.js';
import { publishDocuments, type ObjectStore } from './publish/index.js';
import { startReads } from './read-ahead.js';
import type { RunReport, Stage, StageOutcome, StepReport } from './report.js';
import { DeadlineError, isIrsaIssuerError, RunFailedError } from './errors.js';
import { thumbprintStage, type JwksHostProbe } from './thumbprint/index.js';
import { verifyIssuer, verifyStage, type VerifyReport } from './verify/index.js';

/** Registering the IAM OIDC provider, and what it needs to do so (absent: `--no-register`). */
export interface Registration {
  /** `--thumbprint`: pinned values instead of probing the jwks_uri host. */
  readonly pinnedThumbprints: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly pruneAudiences: boolean;
  readonly pruneThumbprints: boolean;
  readonly provider: ProviderApi;
  readonly probe: JwksHostProbe;
}

export interface SyncRequest {
  readonly issuer: Issuer;
  /** Client IDs the provider must list and verify checks; `sts.amazonaws.com` for IRSA. */
  readonly audiences: readonly [string, ...string[]];
  readonly allowIssuerMismatch: boolean;
  readonly allowKeyReplacement: boolean;
  /** `--trust-exposed-key`: kids once published with their private half, to publish and trust again. */
  readonly trustExposedKeys?: readonly string[];
  readonly cacheControl: string;
  readonly dryRun: boolean;
  readonly register?: Registration;
  /**
   * After writing, check what a stranger (STS) sees (`--verify`); never on a dry run. `ca`: an extra
   * CA to trust when fetching the public documents (a private CA).
   */
  readonly verify?: { readonly ca?: string };
  /** Each stage must finish within this (`--timeout`); 60 s when omitted. So a run ends within six times it. */
  readonly stageTimeoutMs?: number;
}

const defaultStageTimeoutMs = 60_000;

export interface SyncClients {
  readonly cluster: ClusterReader;
  readonly store: ObjectStore;
  readonly logger: Logger;
}

function deadlineError(stage: Stage, timeoutMs: number): DeadlineError {
  return new DeadlineError(
    `The ${stage} stage did not finish within ${timeoutMs / 1000} s (--timeout), so the run stopped there. ` +
      'An endpoint it waits on accepts connections but does not answer; the lines above say what had been done.',
  );
}

/**
 * Times each stage and keeps its line of the report and its warnings, in order. A stage that fails
 * gets a `failed` line, and the run stops with a RunFailedError that carries the report so far.
 */
function recorder(request: SyncRequest, clients: SyncClients) {
  const started = performance.now();
  const steps: StepReport[] = [];
  const warnings: string[] = [...request.issuer.warnings];
  const found: { source?: string; kids?: readonly string[]; verification?: VerifyReport } = {};

  const report = (failure?: RunReport['failure']): RunReport => ({
    command: 'sync',
    issuer: request.issuer.url,
    target: clients.store.description,
    source: found.source ?? 'not read',
    dryRun: request.dryRun,
    kids: found.kids ?? [],
    warnings,
    steps,
    // A failed stage that had already changed something (the JWKS, before the discovery write failed) counts.
    changed: steps.some(
      (step) =>
        step.status === 'changed' || step.status === 'planned' || (step.status === 'failed' && step.changes.length > 0),
    ),
    ...(found.verification === undefined ? {} : { verification: found.verification }),
    ...(failure === undefined ? {} : { failure }),
    durationMs: Math.round(performance.now() - started),
  });

  return {
    found,
    report,
    /**
     * `work` gets the stage's logger, its deadline, and `changed`, to call as each change lands: if
     * the stage then fails, its line of the report still lists what it had changed.
     */
    async stage<T>(
      stage: Stage,
      work: (log: Logger, signal: AbortSignal, changed: (change: string) => void) => Promise<StageOutcome<T>>,
    ): Promise<T> {
      const landed: string[] = [];
      const stageStarted = performance.now();
      const elapsed = () => Math.round(performance.now() - stageStarted);
      const timeoutMs = request.stageTimeoutMs ?? defaultStageTimeoutMs;
      // A timer cleared when the stage ends, not AbortSignal.timeout: that one keeps its listeners,
      // and through them the run, alive for the whole timeout, and a daemon runs again well before.
      const controller = new AbortController();
      const timer = setTimeout(() => {
        controller.abort(new DOMException('The stage deadline passed', 'TimeoutError'));
      }, timeoutMs);
      timer.unref();
      const { signal } = controller;
      // Clients are handed the signal; the race makes the deadline hold even where one ignores it.
      const deadline = new Promise<never>((_, reject) => {
        signal.addEventListener('abort', () => {
          reject(deadlineError(stage, timeoutMs));
        });
      });
      deadline.catch(() => undefined);
      let outcome: StageOutcome<T>;
      try {
        const changed = (change: string) => {
          landed.push(change);
        };
        outcome = await Promise.race([work(clients.logger.child({ stage }), signal, changed), deadline]);
      } catch (error) {
        if (!isIrsaIssuerError(error)) throw error;
        const summary = error.message.split('\n')[0] ?? error.code;
        steps.push({ stage, status: 'failed', summary, changes: landed, notes: [], durationMs: elapsed() });
        throw new RunFailedError(error, report({ stage, code: error.code, message: error.message }));
      } finally {
        clearTimeout(timer);
      }
      const { status, summary, changes = [], notes = [] } = outcome;
      steps.push({ stage, status, summary, changes, notes, durationMs: elapsed() });
      warnings.push(...(outcome.warnings ?? []));
      return outcome.value;
    },
    skip(stage: Stage, summary: string): void {
      steps.push({ stage, status: 'skipped', summary, changes: [], notes: [], durationMs: 0 });
    },
  };
}

/**
 * read -> build -> publish -> thumbprint -> register -> verify. Every guard runs before the first
 * write; a dry run writes nothing. A stage that fails stops the run with a RunFailedError whose
 * report says what the stages before it did.
 */
export async function sync(request: SyncRequest, clients: SyncClients): Promise<RunReport> {
  // Every read starts now, side by side; the stages below await them in the recipe's order.
  const reads = startReads(request, clients.store);
  try {
    return await syncStages({ ...request, ...(reads.register ? { register: reads.register } : {}) }, clients, reads);
  } finally {
    reads.stop();
  }
}

async function syncStages(
  request: SyncRequest,
  clients: SyncClients,
  reads: { readonly store: ObjectStore; readonly provider?: Promise<ActualProvider | undefined> },
): Promise<RunReport> {
  const { issuer, dryRun } = request;
  const { logger } = clients;
  const { store } = reads;
  const run = recorder(request, clients);

  const metadata = await run.stage('read', (log) => readStage(clients.cluster, log));
  run.found.source = metadata.source;
  const documents = await run.stage('build', () => buildStage(issuer, metadata, request));
  run.found.kids = documents.jwks.keys.map((key) => key.kid);
  await run.stage('publish', (log, signal, changed) =>
    publishDocuments({ ...request, documents }, store, log, signal, changed),
  );

  const { register } = request;
  if (register === undefined) {
    run.skip('thumbprint', 'not needed: --no-register');
    run.skip('register', '--no-register: the IAM OIDC provider was not checked');
  } else {
    const thumbprints = await run.stage('thumbprint', (log) =>
      thumbprintStage(issuer, register.pinnedThumbprints, register.probe, log),
    );
    const desired = { issuer, clientIds: request.audiences, thumbprints, tags: register.tags };
    await run.stage('register', (log, signal) =>
      registerStage(
        desired,
        register.provider,
        { dryRun, ...register, ...(reads.provider ? { readAhead: reads.provider } : {}) },
        log,
        signal,
      ),
    );
  }

  if (request.verify !== undefined && !dryRun) {
    const { ca } = request.verify;
    run.found.verification = await run.stage('verify', async (log) => {
      const report = await verifyIssuer(
        { issuer, audiences: request.audiences, ...(ca === undefined ? {} : { ca }) },
        {
          cluster: { read: () => Promise.resolve(metadata) },
          ...(register === undefined ? {} : { provider: register.provider }),
          logger: log,
        },
      );
      return verifyStage(report);
    });
  }

  const report = run.report();
  // The report carries the warnings to the user; the log keeps them for whoever reads logs at info.
  for (const warning of report.warnings) logger.info({ warning }, 'warning');
  const { target, changed, durationMs } = report;
  logger.info({ issuer: issuer.url, target, changed, dryRun, durationMs }, 'sync finished');
  return report;
}

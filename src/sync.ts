/**
 * One run, as a recipe: read -> build -> publish -> thumbprint -> register -> verify. Each stage
 * lives in its folder and returns its own line of the report; this file only orders them, times
 * them and collects what they report.
 */
import { readStage, type ClusterReader } from './cluster/index.js';
import { buildStage } from './documents/index.js';
import { registerStage, type ProviderApi } from './iam/index.js';
import type { Issuer } from './issuer.js';
import type { Logger } from './log.js';
import { publishDocuments, type ObjectStore } from './publish/index.js';
import type { RunReport, Stage, StageOutcome, StepReport } from './report.js';
import { thumbprintStage, type JwksHostProbe } from './thumbprint/index.js';
import { verifyIssuer, verifyStage, type VerifyReport } from './verify/index.js';

/** Registering the IAM OIDC provider, and what it needs to do so (absent: `--no-register`). */
export interface Registration {
  /** `--thumbprint`: pinned values instead of probing the jwks_uri host. */
  readonly pinnedThumbprints: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly pruneAudiences: boolean;
  readonly provider: ProviderApi;
  readonly probe: JwksHostProbe;
}

export interface SyncRequest {
  readonly issuer: Issuer;
  /** Client IDs the provider must list and verify checks; `sts.amazonaws.com` for IRSA. */
  readonly audiences: readonly [string, ...string[]];
  readonly allowIssuerMismatch: boolean;
  readonly allowKeyReplacement: boolean;
  readonly cacheControl: string;
  readonly dryRun: boolean;
  readonly register?: Registration;
  /**
   * After writing, check what a stranger (STS) sees (`--verify`); never on a dry run. `ca`: an extra
   * CA to trust when fetching the public documents (a private CA).
   */
  readonly verify?: { readonly ca?: string };
}

export interface SyncClients {
  readonly cluster: ClusterReader;
  readonly store: ObjectStore;
  readonly logger: Logger;
}

/** Times each stage, keeps its line of the report and its warnings, in order. */
function recorder(logger: Logger) {
  const steps: StepReport[] = [];
  const warnings: string[] = [];
  return {
    steps,
    warnings,
    async stage<T>(stage: Stage, work: (log: Logger) => Promise<StageOutcome<T>>): Promise<T> {
      const started = performance.now();
      const outcome = await work(logger.child({ stage }));
      const { status, summary, changes = [], notes = [] } = outcome;
      steps.push({ stage, status, summary, changes, notes, durationMs: Math.round(performance.now() - started) });
      warnings.push(...(outcome.warnings ?? []));
      return outcome.value;
    },
    skip(stage: Stage, summary: string): void {
      steps.push({ stage, status: 'skipped', summary, changes: [], notes: [], durationMs: 0 });
    },
  };
}

export async function sync(request: SyncRequest, clients: SyncClients): Promise<RunReport> {
  const started = performance.now();
  const { issuer, dryRun } = request;
  const { logger, store } = clients;
  const run = recorder(logger);
  run.warnings.push(...issuer.warnings);

  const metadata = await run.stage('read', (log) => readStage(clients.cluster, log));
  const documents = await run.stage('build', () => buildStage(issuer, metadata, request));
  await run.stage('publish', (log) => publishDocuments({ ...request, documents }, store, log));

  const { register } = request;
  if (register === undefined) {
    run.skip('thumbprint', 'not needed: --no-register');
    run.skip('register', '--no-register: the IAM OIDC provider was not checked');
  } else {
    const thumbprints = await run.stage('thumbprint', (log) =>
      thumbprintStage(issuer, register.pinnedThumbprints, register.probe, log),
    );
    const desired = { issuer, clientIds: request.audiences, thumbprints, tags: register.tags };
    await run.stage('register', (log) => registerStage(desired, register.provider, { dryRun, ...register }, log));
  }

  let verification: VerifyReport | undefined;
  if (request.verify !== undefined && !dryRun) {
    const { ca } = request.verify;
    verification = await run.stage('verify', async (log) => {
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

  // The report carries the warnings to the user; the log keeps them for whoever reads logs at info.
  for (const warning of run.warnings) logger.info({ warning }, 'warning');
  const report: RunReport = {
    command: 'sync',
    issuer: issuer.url,
    target: store.description,
    source: metadata.source,
    dryRun,
    kids: documents.jwks.keys.map((key) => key.kid),
    warnings: run.warnings,
    steps: run.steps,
    changed: run.steps.some((step) => step.status === 'changed' || step.status === 'planned'),
    ...(verification === undefined ? {} : { verification }),
    durationMs: Math.round(performance.now() - started),
  };
  const { target, changed, durationMs } = report;
  logger.info({ issuer: issuer.url, target, changed, dryRun, durationMs }, 'sync finished');
  return report;
}

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
import { accountConcurrency, forEachBounded, homeAccount, type Account } from './accounts/index.js';
import {
  AccountsFailedError,
  DeadlineError,
  isIrsaIssuerError,
  RunFailedError,
  type IrsaIssuerError,
} from './errors.js';
import { thumbprintStage, type JwksHostProbe } from './thumbprint/index.js';
import { verifyIssuer, verifyStage, type VerifyReport } from './verify/index.js';

/** Registering the IAM OIDC provider, and what it needs to do so (absent: `--no-register`). */
export interface Registration {
  /** `--thumbprint`: pinned values instead of probing the jwks_uri host. */
  readonly pinnedThumbprints: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly pruneAudiences: boolean;
  readonly pruneThumbprints: boolean;
  /** The home account's IAM client: the base credentials. */
  readonly provider: ProviderApi;
  readonly probe: JwksHostProbe;
  /**
   * `--account-role` (and `--no-home-account`): every account to register in, the home one
   * included or not. Absent: the home account alone, reported as it always was.
   */
  readonly accounts?: readonly Account[];
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

function deadlineError(stage: Stage, timeoutMs: number, account?: string): DeadlineError {
  const where = account === undefined ? '' : ` in account ${account}`;
  return new DeadlineError(
    `The ${stage} stage${where} did not finish within ${timeoutMs / 1000} s (--timeout), so the run stopped there. ` +
      'An endpoint it waits on accepts connections but does not answer; the lines above say what had been done.',
  );
}

/**
 * The failure of a stage in some of several accounts: the first line names every failed account
 * (readiness and summaries show only that line), then one line per account with its own error.
 */
function accountsFailed(
  stage: Stage,
  failed: readonly { account: Account; error: IrsaIssuerError }[],
  total: number,
): AccountsFailedError {
  const labels = failed.map(({ account }) => account.label);
  const lines = failed.map(({ account, error }) => `  ${account.label}: ${error.message.split('\n')[0] ?? ''}`);
  return new AccountsFailedError(
    `The ${stage} stage failed in ${failed.length} of ${total} accounts (${labels.join(', ')}); the others were ` +
      `done, as the report shows.\n${lines.join('\n')}`,
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

  /**
   * Runs one stage's work with its own deadline and returns its line of the report; a failure is a
   * `failed` line plus the error, for the caller to stop on (one stage) or collect (one per account).
   * `work` gets the stage's logger, its deadline, and `changed`, to call as each change lands: if
   * the stage then fails, its line of the report still lists what it had changed.
   */
  async function attempt<T>(
    stage: Stage,
    work: (log: Logger, signal: AbortSignal, changed: (change: string) => void) => Promise<StageOutcome<T>>,
    account?: string,
  ): Promise<{ step: StepReport; value?: T; warnings: readonly string[]; error?: IrsaIssuerError }> {
    const landed: string[] = [];
    const stageStarted = performance.now();
    const elapsed = () => Math.round(performance.now() - stageStarted);
    const timeoutMs = request.stageTimeoutMs ?? defaultStageTimeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    // Clients are handed the signal; the race makes the deadline hold even where one ignores it.
    const deadline = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => {
        reject(deadlineError(stage, timeoutMs, account));
      });
    });
    deadline.catch(() => undefined);
    const labelled = account === undefined ? {} : { account };
    const log = clients.logger.child({ stage, ...labelled });
    let outcome: StageOutcome<T>;
    try {
      const changed = (change: string) => {
        landed.push(change);
      };
      outcome = await Promise.race([work(log, signal, changed), deadline]);
    } catch (error) {
      if (!isIrsaIssuerError(error)) throw error;
      const summary = error.message.split('\n')[0] ?? error.code;
      const step: StepReport = {
        stage,
        ...labelled,
        status: 'failed',
        summary,
        changes: landed,
        notes: [],
        durationMs: elapsed(),
      };
      return { step, warnings: [], error };
    }
    const { status, summary, changes = [], notes = [] } = outcome;
    const step = { stage, ...labelled, status, summary, changes, notes, durationMs: elapsed() };
    return { step, value: outcome.value, warnings: outcome.warnings ?? [] };
  }

  return {
    found,
    report,
    /** One stage: its line of the report, and its value; a failure stops the run with a RunFailedError. */
    async stage<T>(
      stage: Stage,
      work: (log: Logger, signal: AbortSignal, changed: (change: string) => void) => Promise<StageOutcome<T>>,
    ): Promise<T> {
      const result = await attempt(stage, work);
      steps.push(result.step);
      warnings.push(...result.warnings);
      if (result.error !== undefined) {
        const { error } = result;
        throw new RunFailedError(error, report({ stage, code: error.code, message: error.message }));
      }
      return result.value as T;
    },
    /**
     * One stage in every account, a few at a time, each with its own deadline and line of the
     * report (in the accounts' order). An account that fails does not stop the others; once all have
     * finished, any failure stops the run, the report naming each failed account.
     */
    async inAccounts<T>(
      stage: Stage,
      accounts: readonly Account[],
      work: (account: Account, log: Logger, signal: AbortSignal) => Promise<StageOutcome<T>>,
    ): Promise<void> {
      const labelled = accounts.length > 1 || accounts.some((account) => account.roleArn !== undefined);
      const results = await forEachBounded(accounts, accountConcurrency, async (account) => ({
        account,
        ...(await attempt(stage, (log, signal) => work(account, log, signal), labelled ? account.label : undefined)),
      }));
      for (const result of results) {
        steps.push(result.step);
        warnings.push(...result.warnings);
      }
      const failed = results.flatMap(({ account, error }) => (error === undefined ? [] : [{ account, error }]));
      const [first] = failed;
      if (first === undefined) return;
      const error = labelled ? accountsFailed(stage, failed, accounts.length) : first.error;
      throw new RunFailedError(error, report({ stage, code: error.code, message: error.message }));
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
  const { issuer, dryRun } = request;
  const { logger, store } = clients;
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
    // One thumbprint for every account: the certificate STS sees does not depend on the account.
    const desired = { issuer, clientIds: request.audiences, thumbprints, tags: register.tags };
    await run.inAccounts(
      'register',
      register.accounts ?? [homeAccount(register.provider)],
      async (account, log, signal) =>
        registerStage(desired, await account.connect(signal), { dryRun, ...register }, log, signal),
    );
  }

  if (request.verify !== undefined && !dryRun) {
    const { ca } = request.verify;
    run.found.verification = await run.stage('verify', async (log) => {
      const report = await verifyIssuer(
        { issuer, audiences: request.audiences, ...(ca === undefined ? {} : { ca }) },
        {
          cluster: { read: () => Promise.resolve(metadata) },
          // The home account's provider, unless the run left that account out (--no-home-account).
          ...(register === undefined || register.accounts?.every((account) => account.roleArn !== undefined) === true
            ? {}
            : { provider: register.provider }),
          // --account-role: the IAM checks in those accounts too, through the same roles.
          ...(register?.accounts === undefined
            ? {}
            : { accounts: register.accounts.filter((account) => account.roleArn !== undefined) }),
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

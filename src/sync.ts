/**
 * One run, as a recipe: read -> build -> publish -> thumbprint -> register -> verify. Each stage
 * lives in its folder and returns its own line of the report; this file only orders them, times
 * them and collects what they report. `registerOnly` is the same recipe for an issuer that serves
 * its own documents: read them publicly, skip build and publish.
 */
import { readStage, type ClusterReader } from './cluster/index.js';
import type { Egress } from './egress/index.js';
import { buildStage } from './documents/index.js';
import { registerStage, type ActualProvider, type DesiredProvider, type ProviderApi } from './iam/index.js';
import type { Issuer } from './issuer.js';
import type { Logger } from './log.js';
import { publishDocuments, type ObjectStore } from './publish/index.js';
import { startReads } from './read-ahead.js';
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
import {
  readPublicIssuer,
  verifyIssuer,
  verifyStage,
  type VerifyDependencies,
  type VerifyReport,
} from './verify/index.js';

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
   * CA to trust when fetching the public documents (a private CA); `egress`: the proxy route.
   */
  readonly verify?: { readonly ca?: string; readonly egress?: Egress };
  /** Each stage must finish within this (`--timeout`); 60 s when omitted. So a run ends within six times it. */
  readonly stageTimeoutMs?: number;
}

const defaultStageTimeoutMs = 60_000;

export interface SyncClients {
  readonly cluster: ClusterReader;
  readonly store: ObjectStore;
  readonly logger: Logger;
}

/**
 * `irsa-issuer register` (or `sync --no-publish`): an issuer that already serves its own documents
 * (GKE, AKS, any platform). Nothing is read from a cluster and nothing is published; the documents
 * are fetched as STS fetches them and must pass verify's checks before the provider is reconciled.
 */
export interface RegisterOnlyRequest {
  /** Parsed with `acceptTrailingSlash`: exactly what tokens carry in `iss`. */
  readonly issuer: Issuer;
  readonly audiences: readonly [string, ...string[]];
  readonly dryRun: boolean;
  readonly register: Registration;
  /** An extra CA (PEM) to trust when fetching the issuer's documents (and when verifying). */
  readonly ca?: string;
  /** The proxy route of the fetches; direct when omitted. */
  readonly egress?: Egress;
  /** After registering, run verify's checks against the provider (`--verify`); never on a dry run. */
  readonly verify?: boolean;
  readonly stageTimeoutMs?: number;
}

/** What every run's report names, whatever its recipe. */
interface RunFrame {
  readonly command: RunReport['command'];
  readonly issuer: Issuer;
  /** Where documents are published, as the report names it. */
  readonly target: string;
  readonly dryRun: boolean;
  readonly stageTimeoutMs?: number | undefined;
}

/** The one line of the report a register-only run has for its target. */
export const registerOnlyTarget = 'none: register-only, the issuer serves its own documents';

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
function recorder(request: RunFrame, logger: Logger) {
  const started = performance.now();
  const steps: StepReport[] = [];
  const warnings: string[] = [...request.issuer.warnings];
  const found: { source?: string; kids?: readonly string[]; verification?: VerifyReport } = {};

  const report = (failure?: RunReport['failure']): RunReport => ({
    command: request.command,
    issuer: request.issuer.url,
    target: request.target,
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
        reject(deadlineError(stage, timeoutMs, account));
      });
    });
    deadline.catch(() => undefined);
    const labelled = account === undefined ? {} : { account };
    const log = logger.child({ stage, ...labelled });
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
    } finally {
      clearTimeout(timer);
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
  const run = recorder({ ...request, command: 'sync', target: store.description }, logger);

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
    await registerInAccounts(
      run,
      { issuer, clientIds: request.audiences, thumbprints, tags: register.tags },
      register,
      dryRun,
      reads.provider,
    );
  }

  if (request.verify !== undefined && !dryRun) {
    await verifyAfter(
      run,
      { ...request, ...request.verify },
      {
        cluster: { read: () => Promise.resolve(metadata) },
        ...(register === undefined ? {} : verifiedProviders(register)),
      },
    );
  }
  return finish(run, request.issuer, logger, 'sync finished');
}

/**
 * fetch and check the issuer's own documents -> thumbprint -> register (-> verify). The same
 * stages and report as sync; build and publish are skipped, and IAM is the only AWS service called.
 */
export async function registerOnly(request: RegisterOnlyRequest, logger: Logger): Promise<RunReport> {
  const { issuer, register, ca, egress } = request;
  const run = recorder({ ...request, command: 'register', target: registerOnlyTarget }, logger);

  const published = await run.stage('read', () =>
    readPublicIssuer(issuer, {
      ...(ca === undefined ? {} : { ca }),
      ...(egress === undefined ? {} : { egress }),
      ...(request.stageTimeoutMs === undefined ? {} : { timeoutMs: request.stageTimeoutMs }),
    }),
  );
  run.found.source = `the public JWKS at ${published.jwksUri}`;
  run.found.kids = published.kids;
  run.skip('build', 'not needed: register-only takes the documents the issuer serves');
  run.skip('publish', 'register-only: nothing is published');
  const thumbprints = await run.stage('thumbprint', (log) =>
    thumbprintStage(issuer, register.pinnedThumbprints, register.probe, log, published.jwksUri),
  );
  await registerInAccounts(
    run,
    { issuer, clientIds: request.audiences, thumbprints, tags: register.tags },
    register,
    request.dryRun,
  );
  if (request.verify === true && !request.dryRun) {
    await verifyAfter(run, request, verifiedProviders(register));
  }
  return finish(run, issuer, logger, 'register finished');
}

/**
 * One thumbprint for every account: the certificate STS sees does not depend on the account. The
 * home account's provider may already have been read ahead (`readAhead`).
 */
async function registerInAccounts(
  run: ReturnType<typeof recorder>,
  desired: DesiredProvider,
  register: Registration,
  dryRun: boolean,
  readAhead?: Promise<ActualProvider | undefined>,
): Promise<void> {
  await run.inAccounts(
    'register',
    register.accounts ?? [homeAccount(register.provider)],
    async (account, log, signal) => {
      const ahead = account.roleArn === undefined && readAhead !== undefined ? { readAhead } : {};
      return registerStage(desired, await account.connect(signal), { dryRun, ...register, ...ahead }, log, signal);
    },
  );
}

/**
 * The providers verify checks: the home account's, unless the run left it out (--no-home-account),
 * and with --account-role the provider in each of those accounts, through the same roles.
 */
function verifiedProviders(register: Registration): Pick<VerifyDependencies, 'provider' | 'accounts'> {
  const roles = register.accounts?.filter((account) => account.roleArn !== undefined);
  const homeLeftOut =
    register.accounts !== undefined && register.accounts.every((account) => account.roleArn !== undefined);
  return {
    ...(homeLeftOut ? {} : { provider: register.provider }),
    ...(roles === undefined ? {} : { accounts: roles }),
  };
}

/** The verify stage, after the writes: every check of `irsa-issuer verify` that these dependencies allow. */
async function verifyAfter(
  run: ReturnType<typeof recorder>,
  request: {
    readonly issuer: Issuer;
    readonly audiences: readonly [string, ...string[]];
    readonly ca?: string;
    readonly egress?: Egress;
  },
  dependencies: Omit<VerifyDependencies, 'logger'>,
): Promise<void> {
  const { issuer, audiences, ca, egress } = request;
  run.found.verification = await run.stage('verify', async (log) => {
    const report = await verifyIssuer(
      { issuer, audiences, ...(ca === undefined ? {} : { ca }), ...(egress === undefined ? {} : { egress }) },
      { ...dependencies, logger: log },
    );
    return verifyStage(report);
  });
}

function finish(run: ReturnType<typeof recorder>, issuer: Issuer, logger: Logger, message: string): RunReport {
  const report = run.report();
  // The report carries the warnings to the user; the log keeps them for whoever reads logs at info.
  for (const warning of report.warnings) logger.info({ warning }, 'warning');
  const { target, changed, dryRun, durationMs } = report;
  logger.info({ issuer: issuer.url, target, changed, dryRun, durationMs }, message);
  return report;
}

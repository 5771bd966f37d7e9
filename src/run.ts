import { defaultAudience, discoveryPath, jwksPath, type Issuer } from './config.js';
import type { ClusterIssuerMetadata, ClusterReader } from './cluster/metadata.js';
import { buildDocuments, type BuiltDocuments } from './documents/build.js';
import { checkKeyContinuity, checkPublishedIssuer } from './documents/guards.js';
import { documentContentType } from './documents/serialise.js';
import type { Logger } from './log.js';
import { applyPublish, planPublish, readActual, type DesiredObject } from './publish/plan.js';
import type { ObjectStore, StoredObject } from './publish/store.js';
import type { RunReport, Stage, StepReport, StepStatus } from './report.js';
import { previewProvider, reconcileProvider } from './iam/reconcile.js';
import type { DesiredProvider, ProviderApi } from './iam/provider.js';
import { verifyIssuer, verifySummary } from './verify/verify.js';

export interface BuildOptions {
  readonly issuer: Issuer;
  readonly allowIssuerMismatch: boolean;
}

export interface RegisterOptions {
  /** Client IDs (audiences) the provider must list; `sts.amazonaws.com` for IRSA. */
  readonly audiences: readonly string[];
  /** `--thumbprint`: pinned values instead of probing the jwks_uri host. */
  readonly pinnedThumbprints: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly pruneAudiences: boolean;
}

export interface SyncOptions extends BuildOptions {
  readonly allowKeyReplacement: boolean;
  readonly cacheControl: string;
  readonly dryRun: boolean;
  /** Absent: publish only (`--no-register`). */
  readonly register?: RegisterOptions;
  /**
   * After writing, check what a stranger (STS) sees (`--verify`); never on a dry run. `ca`: an extra
   * CA to trust when fetching the public documents (a private CA).
   */
  readonly verify?: { readonly ca?: string };
}

/** What the thumbprint stage needs from a TLS probe of the jwks_uri host. */
export interface ThumbprintResult {
  readonly thumbprint: string;
  readonly trusted: boolean;
  readonly trustError?: string;
}

export type JwksHostProbe = (url: string) => Promise<ThumbprintResult>;

export interface SyncDependencies {
  readonly cluster: ClusterReader;
  readonly store: ObjectStore;
  readonly logger: Logger;
  /** Needed when options.register is set. */
  readonly provider?: ProviderApi;
  /** Needed when options.register is set without pinned thumbprints. */
  readonly probe?: JwksHostProbe;
}

interface Timed<T> {
  readonly value: T;
  readonly durationMs: number;
}

async function timed<T>(logger: Logger, stage: Stage, work: (log: Logger) => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const value = await work(logger.child({ stage }));
  return { value, durationMs: Math.round(performance.now() - started) };
}

function step(
  stage: Stage,
  status: StepStatus,
  summary: string,
  changes: readonly string[],
  durationMs: number,
  notes: readonly string[] = [],
): StepReport {
  return { stage, status, summary, changes, notes, durationMs };
}

/** The two objects a target holds, in the order they must be written: JWKS first. */
export function desiredObjects(documents: BuiltDocuments, cacheControl: string): DesiredObject[] {
  return [
    { key: jwksPath, body: documents.jwksBytes, contentType: documentContentType, cacheControl },
    { key: discoveryPath, body: documents.discoveryBytes, contentType: documentContentType, cacheControl },
  ];
}

/** The audiences verify checks: those registered, else IRSA's. */
function audiencesOf(register: RegisterOptions | undefined): [string, ...string[]] {
  const [first, ...rest] = register?.audiences ?? [];
  return first === undefined ? [defaultAudience] : [first, ...rest];
}

/** Read and build only: what `render` prints, and the first half of every sync. */
export async function readAndBuild(
  options: BuildOptions,
  cluster: ClusterReader,
  logger: Logger,
): Promise<{ metadata: Timed<ClusterIssuerMetadata>; documents: Timed<BuiltDocuments> }> {
  const metadata = await timed(logger, 'read', async (log) => {
    const read = await cluster.read();
    log.debug({ source: read.source, keys: read.keys.length }, 'read issuer metadata');
    return read;
  });
  const documents = await timed(logger, 'build', () => buildDocuments(options.issuer, metadata.value, options));
  return { metadata, documents };
}

/** read -> build -> publish. Every guard runs before the first write; a dry run writes nothing. */
export async function sync(options: SyncOptions, dependencies: SyncDependencies): Promise<RunReport> {
  const started = performance.now();
  const { logger, store } = dependencies;
  const { metadata, documents } = await readAndBuild(options, dependencies.cluster, logger);
  const built = documents.value;
  const warnings = [...options.issuer.warnings, ...built.warnings];

  const publish = await timed(logger, 'publish', async (log) => {
    const desired = desiredObjects(built, options.cacheControl);
    const actual = await readActual(store, desired.map((object) => object.key));
    const where = (key: string) => `${store.description}/${key}`;
    const guard = (key: string, current: StoredObject | undefined): string | undefined => {
      if (key === discoveryPath) checkPublishedIssuer(options.issuer, current?.body, where(key));
      if (key === jwksPath) return checkKeyContinuity(built.jwks, current?.body, where(key), options.allowKeyReplacement);
      return undefined;
    };
    for (const [key, current] of actual) {
      const warning = guard(key, current);
      if (warning !== undefined) warnings.push(warning);
    }
    const plan = planPublish(desired, actual);
    if (plan.writes.length === 0) return { status: 'unchanged', changes: [] } as const;
    if (options.dryRun) return { status: 'planned', changes: plan.writes.map((write) => `${write.reason} ${where(write.key)}`) } as const;
    // Another writer's content, seen only after a conflict, passes the same guards before we replace it.
    const applied = await applyPublish(plan, store, { log, recheck: (key, current) => { guard(key, current); } });
    const changes = [
      ...applied.written.map((write) => `${write.reason} ${where(write.key)}`),
      ...applied.writtenByOther.map((key) => `already written by another publisher: ${where(key)}`),
    ];
    log.info({ written: applied.written.map((write) => write.key) }, 'published');
    return { status: applied.written.length === 0 ? 'unchanged' : 'changed', changes } as const;
  });

  const registration = options.register === undefined
    ? undefined
    : await register(options, options.register, dependencies, logger, warnings);

  const verify = options.dryRun ? undefined : options.verify;
  const verification = verify !== undefined
    ? await timed(logger, 'verify', (log) =>
      verifyIssuer(
        {
          issuer: options.issuer,
          audiences: audiencesOf(options.register),
          ...(verify.ca === undefined ? {} : { ca: verify.ca }),
        },
        {
          cluster: { read: () => Promise.resolve(metadata.value) },
          ...(dependencies.provider !== undefined && options.register !== undefined ? { provider: dependencies.provider } : {}),
          logger: log,
        },
      ))
    : undefined;

  const steps: StepReport[] = [
    step('read', 'unchanged', `${metadata.value.keys.length} key(s) from ${metadata.value.source}`, [], metadata.durationMs),
    step('build', 'unchanged', `discovery + JWKS for ${options.issuer.url}`, [], documents.durationMs),
    step(
      'publish',
      publish.value.status,
      publish.value.status === 'unchanged' ? 'both documents already up to date' : `${publish.value.changes.length} object(s) ${publish.value.status === 'planned' ? 'to write' : 'written'}`,
      publish.value.changes,
      publish.durationMs,
    ),
    ...(registration ?? [
      step('thumbprint', 'skipped', 'not needed: --no-register', [], 0),
      step('register', 'skipped', '--no-register: the IAM OIDC provider was not checked', [], 0),
    ]),
    ...(verification === undefined
      ? []
      : [step('verify', verification.value.ok ? 'unchanged' : 'failed', verifySummary(verification.value), [], verification.durationMs)]),
  ];
  // The report carries the warnings to the user; the log keeps them for whoever reads logs at info.
  for (const warning of warnings) logger.info({ warning }, 'warning');
  const report: RunReport = {
    command: 'sync',
    issuer: options.issuer.url,
    target: store.description,
    source: metadata.value.source,
    dryRun: options.dryRun,
    kids: built.jwks.keys.map((key) => key.kid),
    warnings,
    steps,
    changed: steps.some((candidate) => candidate.status === 'changed' || candidate.status === 'planned'),
    ...(verification === undefined ? {} : { verification: verification.value }),
    durationMs: Math.round(performance.now() - started),
  };
  logger.info({ issuer: report.issuer, target: report.target, changed: report.changed, dryRun: report.dryRun, durationMs: report.durationMs }, 'sync finished');
  return report;
}

/** thumbprint -> register: make the IAM OIDC provider trust this issuer, or plan to. */
async function register(
  options: SyncOptions,
  register: RegisterOptions,
  dependencies: SyncDependencies,
  logger: Logger,
  warnings: string[],
): Promise<StepReport[]> {
  const { provider, probe } = dependencies;
  if (provider === undefined) throw new TypeError('sync: registering needs an IAM client (dependencies.provider)');
  const thumbprint = await timed(logger, 'thumbprint', async (log) => {
    if (register.pinnedThumbprints.length > 0) {
      return { thumbprints: register.pinnedThumbprints, summary: `pinned: ${register.pinnedThumbprints.join(', ')}` };
    }
    if (probe === undefined) throw new TypeError('sync: probing the thumbprint needs dependencies.probe');
    const result = await probe(options.issuer.jwksUrl);
    if (!result.trusted) {
      warnings.push(
        `The certificate chain of ${new URL(options.issuer.jwksUrl).host} is not trusted by this machine's CA store (${result.trustError ?? 'untrusted'}); STS will rely on the thumbprint alone.`,
      );
    }
    log.debug({ thumbprint: result.thumbprint, trusted: result.trusted }, 'probed jwks_uri host');
    return { thumbprints: [result.thumbprint], summary: `${result.thumbprint} (last certificate of ${new URL(options.issuer.jwksUrl).host})` };
  });
  const desired: DesiredProvider = {
    issuer: options.issuer,
    clientIds: register.audiences,
    thumbprints: thumbprint.value.thumbprints,
    tags: register.tags,
  };
  const registered = await timed(logger, 'register', async (log) => {
    if (options.dryRun) {
      const plan = await previewProvider(desired, provider, register);
      return { plan, status: plan.changes.length === 0 ? 'unchanged' : 'planned', arn: plan.arn } as const;
    }
    const result = await reconcileProvider(desired, provider, { pruneAudiences: register.pruneAudiences, log });
    return { plan: result.plan, status: result.applied ? 'changed' : 'unchanged', arn: result.arn } as const;
  });
  const { plan, status, arn } = registered.value;
  const kept = [
    ...plan.kept.clientIds.map((clientId) => `kept audience ${clientId} (not asked for; --prune-audiences removes it)`),
    ...Object.entries(plan.kept.tags).map(([key, value]) => `kept tag ${key}=${value}`),
  ];
  const summary = status === 'unchanged'
    ? `provider ${arn ?? plan.providerName} already up to date`
    : `${plan.changes.length} change(s) to ${arn ?? `a new provider for ${plan.providerName}`}`;
  return [
    step('thumbprint', 'unchanged', thumbprint.value.summary, [], thumbprint.durationMs),
    step('register', status, summary, plan.changes.map((change) => change.description), registered.durationMs, kept),
  ];
}

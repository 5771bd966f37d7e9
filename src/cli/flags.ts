/**
 * The one place each flag becomes a value the stages take: loaded with a command's action, never
 * by `--help` (options.ts declares the flags).
 */
import { readFile } from 'node:fs/promises';
import { apiServerReader, pemFileReader, type ApiServerReader, type ClusterReader } from '../cluster/index.js';
import { egressFrom, type Egress } from '../egress/index.js';
import { ConfigError } from '../errors.js';
import { defaultAudience, parseIssuer, type Issuer, type IssuerRules } from '../issuer.js';
import { createLogger, type Logger } from '../log.js';
import { FileStore, loadS3, parseTarget, targetFromIssuer, type ObjectStore, type Target } from '../publish/index.js';
import type { CliIo } from './io.js';
import type { ClusterFlags, EgressFlags, IssuerFlags, LogFlags, StoreFlags } from './options.js';

/**
 * The egress route of every outbound connection: `--proxy` or the proxy environment, NO_PROXY, and
 * the extra CA of `--ca-file` (PEM) for TLS to S3, IAM, STS and the public documents.
 */
export function egressFromFlags(flags: EgressFlags, env: NodeJS.ProcessEnv, ca?: string): Egress {
  return egressFrom(
    { ...(flags.proxy === undefined ? {} : { proxy: flags.proxy }), ...(ca === undefined ? {} : { ca }) },
    env,
  );
}

export function issuerFrom(flags: IssuerFlags, rules: IssuerRules = {}): Issuer {
  if (flags.issuer === undefined) {
    throw new ConfigError(
      'No issuer given: pass --issuer https://HOST[/PATH] (or set IRSA_ISSUER_ISSUER), the public URL tokens will ' +
        'carry in "iss".',
    );
  }
  return parseIssuer(flags.issuer, rules);
}

/** `--audience`, repeatable: the client IDs, IRSA's `sts.amazonaws.com` when none is given. */
export function audiencesFrom(raw: readonly string[]): [string, ...string[]] {
  const [first, ...rest] = raw.map((audience) => audience.trim());
  if ([first, ...rest].some((audience) => audience === '')) {
    throw new ConfigError(`--audience is empty; STS expects ${defaultAudience} for IRSA.`);
  }
  return first === undefined ? [defaultAudience] : [first, ...rest];
}

/**
 * The keys' source: PEM files, or the API server of a kubeconfig context (the pod's own service
 * account in a cluster). Loads the kubeconfig now, so a bad flag is exit 2 before any request.
 */
export async function clusterReaderFrom(
  flags: ClusterFlags,
  options: { readonly timeoutMs?: number; readonly egress?: Egress } = {},
): Promise<ClusterReader | ApiServerReader> {
  if (flags.publicKeyFile.length > 0) {
    if (flags.kubeconfig !== undefined || flags.context !== undefined) {
      throw new ConfigError(
        '--public-key-file reads keys from files; it cannot be combined with --kubeconfig or --context.',
      );
    }
    return pemFileReader(flags.publicKeyFile);
  }
  return apiServerReader({
    ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
    ...(flags.context === undefined ? {} : { context: flags.context }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.egress === undefined ? {} : { egress: options.egress }),
  });
}

export function targetFrom(raw: string | undefined, issuer: Issuer): Target {
  if (raw !== undefined) return parseTarget(raw);
  const implied = targetFromIssuer(issuer);
  if (implied === undefined) {
    throw new ConfigError(
      `No --target given, and the issuer ${issuer.url} is not an S3 bucket URL ` +
        '(https://BUCKET.s3.REGION.amazonaws.com/PREFIX) to imply one from. ' +
        'Pass --target s3://BUCKET/PREFIX or --target file://DIR.',
    );
  }
  return implied;
}

export function loggerFrom(flags: LogFlags, io: CliIo): Logger {
  return createLogger({ level: flags.logLevel, pretty: io.stderr.isTTY === true, destination: io.stderr });
}

/** `--timeout SECONDS` as milliseconds, within reason. */
export function timeoutMsFrom(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) {
    throw new ConfigError(`--timeout ${JSON.stringify(raw)} is not a number of seconds between 0 and 300.`);
  }
  return Math.round(seconds * 1000);
}

/** `--ca-file PATH`: extra CA certificates (PEM) to trust. */
export async function caFileFrom(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(
      `Cannot read --ca-file ${path} (${code}); pass a PEM file with the CA certificate(s) to trust.`,
      { cause: error },
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`--ca-file ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`);
  }
  return pem;
}

/** `--trust-exposed-key` values: kids, so never blank. */
export function trustedKidsFrom(raw: readonly string[]): string[] {
  const kids = raw.map((kid) => kid.trim());
  if (kids.some((kid) => kid === '')) throw new ConfigError('--trust-exposed-key is empty; give the kid to trust.');
  return kids;
}

/** A namespace is a DNS-1123 label; a ServiceAccount name a DNS-1123 subdomain. */
const namespaceName = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const serviceAccountName = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface ServiceAccountName {
  readonly namespace: string;
  readonly name: string;
}

/**
 * `--service-account NAMESPACE/NAME`, or `--service-account NAME` with `--namespace NAMESPACE`: one
 * spelling for every command, so one IRSA_ISSUER_SERVICE_ACCOUNT means the same ServiceAccount to
 * verify, bootstrap and trust-policy. `defaultNamespace` applies to a bare NAME without --namespace;
 * `wildcard` lets NAME be '*' (every ServiceAccount of the namespace).
 */
export function serviceAccountFrom(
  raw: string,
  namespaceFlag: string | undefined,
  options: { readonly defaultNamespace?: string; readonly wildcard?: boolean } = {},
): ServiceAccountName {
  const slash = raw.indexOf('/');
  const named = slash === -1 ? undefined : raw.slice(0, slash);
  const name = slash === -1 ? raw : raw.slice(slash + 1);
  if (named !== undefined && namespaceFlag !== undefined && named !== namespaceFlag) {
    throw new ConfigError(
      `--service-account ${JSON.stringify(raw)} names the namespace ${named}, but --namespace says ${namespaceFlag}: ` +
        'give the namespace once.',
    );
  }
  const namespace = named ?? namespaceFlag ?? options.defaultNamespace;
  if (namespace === undefined) {
    throw new ConfigError(
      `--service-account ${JSON.stringify(raw)} names no namespace: pass NAMESPACE/NAME (e.g. --service-account ` +
        `team-a/${name}) or add --namespace.`,
    );
  }
  if (!namespaceName.test(namespace)) {
    throw new ConfigError(
      `The namespace ${JSON.stringify(namespace)} is not a Kubernetes namespace name (e.g. team-a).`,
    );
  }
  if (!serviceAccountName.test(name) && !(options.wildcard === true && name === '*')) {
    throw new ConfigError(
      `The ServiceAccount ${JSON.stringify(name)} is not a Kubernetes ServiceAccount name` +
        `${options.wildcard === true ? " or '*'" : ''} (e.g. --service-account team-a/app).`,
    );
  }
  return { namespace, name };
}

/** Where a run publishes: a directory, or S3 (its SDK loaded only then). */
export async function storeFor(
  target: Target,
  flags: StoreFlags,
  logger: Logger,
  egress?: Egress,
): Promise<ObjectStore> {
  if (target.kind === 'file') return new FileStore(target.directory);
  const region = flags.region ?? target.region;
  const { createS3Client, S3Store } = await loadS3();
  const client = createS3Client({
    logger,
    ...(egress === undefined ? {} : { egress }),
    ...(region === undefined ? {} : { region }),
    ...(flags.s3Endpoint === undefined ? {} : { endpoint: flags.s3Endpoint }),
  });
  return new S3Store(client, target.bucket, target.prefix);
}

/**
 * Every option that more than one command takes, declared once, and the one place each flag
 * becomes a value the stages take.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { apiServerReader, pemFileReader, type ApiServerReader, type ClusterReader } from '../cluster/index.js';
import { egressFrom, type Egress } from '../egress/index.js';
import { ConfigError } from '../errors.js';
import { defaultAudience, parseIssuer, type Issuer, type IssuerRules } from '../issuer.js';
import { createLogger, type Logger } from '../log.js';
import { parseTarget, targetFromIssuer, type Target } from '../publish/index.js';
import type { CliIo } from './io.js';

/** A flag that may be given more than once; its environment variable takes a comma-separated list. */
export function repeatable(flags: string, description: string): Option {
  return new Option(flags, description)
    .argParser((value: string, previous: string[]) => [...previous, value])
    .default([]);
}

export function issuerOption(rules: IssuerRules = {}): Option {
  return new Option(
    '--issuer <url>',
    rules.acceptTrailingSlash === true
      ? 'the public issuer URL, exactly as tokens carry it in "iss": https://HOST[/PATH], with a trailing slash only ' +
          'if they carry one (AKS)'
      : 'the public issuer URL, exactly as tokens carry it in "iss": https://HOST[/PATH], no trailing slash',
  );
}

export function addIssuerOptions(command: Command): Command {
  return command
    .addOption(issuerOption())
    .addOption(
      new Option(
        '--allow-issuer-mismatch',
        'publish even though the cluster signs tokens for another issuer (pre-publishing during a migration)',
      ),
    );
}

export function addClusterOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'kubeconfig to read the API server from (default: $KUBECONFIG, ~/.kube/config, then in-cluster)',
      ),
    )
    .addOption(new Option('--context <name>', 'kubeconfig context to use (default: the current context)'))
    .addOption(
      repeatable(
        '--public-key-file <path>',
        'read signing keys from this PEM public key file instead of the API server (repeatable; RSA or EC ' +
          'P-256/P-384/P-521; ' +
          'PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)',
      ),
    );
}

export function addAudienceOption(command: Command, what: string): Command {
  return command.addOption(repeatable('--audience <client-id>', `${what} (repeatable; default ${defaultAudience})`));
}

export function addLogOption(command: Command): Command {
  return command.addOption(
    new Option('--log-level <level>', 'log level on stderr')
      .choices(['debug', 'info', 'warn', 'error', 'silent'])
      .default('warn'),
  );
}

export function addOutputOptions(command: Command): Command {
  command.addOption(
    new Option('--output <format>', 'report format on stdout').choices(['text', 'json']).default('text'),
  );
  return addLogOption(command);
}

/** `--proxy`, for every command that connects anywhere. */
export function addProxyOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--proxy <url>',
      'send outbound connections through this HTTP proxy, http://HOST:PORT or http://USER:PASSWORD@HOST:PORT (default: HTTPS_PROXY ' +
        "and HTTP_PROXY; hosts in NO_PROXY go direct either way; '' for none)",
    ),
  );
}

export interface EgressFlags {
  readonly proxy?: string;
}

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

export interface IssuerFlags {
  readonly issuer?: string;
  readonly allowIssuerMismatch?: boolean;
}

export interface ClusterFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly publicKeyFile: string[];
}

export interface LogFlags {
  readonly logLevel: string;
}

export interface OutputFlags extends LogFlags {
  readonly output: 'text' | 'json';
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
export function clusterReaderFrom(
  flags: ClusterFlags,
  options: { readonly timeoutMs?: number; readonly egress?: Egress } = {},
): ClusterReader | ApiServerReader {
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

/** `--trust-exposed-key`, for every command that publishes: sync, the daemon, render --out. */
export function trustExposedKeyOption(): Option {
  return repeatable(
    '--trust-exposed-key <kid>',
    'publish this kid again although its private half was once published (repeatable); only if it was never ' +
      'really exposed',
  );
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

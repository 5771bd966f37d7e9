/**
 * Every option that more than one command takes, declared once. This module is what `--help` and
 * every command's definition load, so it imports nothing but commander and the shared vocabulary:
 * what the flags become is flags.ts, loaded with the command's action.
 */
import { Option, type Command } from 'commander';
import { defaultAudience, type IssuerRules } from '../issuer.js';

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

/** `--trust-exposed-key`, for every command that publishes: sync, the daemon, render --out. */
export function trustExposedKeyOption(): Option {
  return repeatable(
    '--trust-exposed-key <kid>',
    'publish this kid again although its private half was once published (repeatable); only if it was never ' +
      'really exposed',
  );
}

export interface StoreFlags {
  readonly s3Endpoint?: string;
  readonly region?: string;
}

/** `--s3-endpoint`, also for commands that take the bucket's region as a flag of their own (teardown). */
export function s3EndpointOption(): Option {
  return new Option(
    '--s3-endpoint <url>',
    'S3-compatible endpoint (MinIO, Ceph, ...); path-style addressing is used with it',
  );
}

export function addStoreOptions(command: Command): Command {
  return command
    .addOption(s3EndpointOption())
    .addOption(
      new Option(
        '--region <region>',
        'AWS region of the bucket (default: implied by the issuer, else the AWS SDK chain: AWS_REGION, profile)',
      ),
    );
}

/** `--account-role` and `--no-home-account`: the flags of every command that works in several accounts. */
export interface AccountFlags {
  readonly accountRole: string[];
  /** false with --no-home-account. */
  readonly homeAccount: boolean;
}

export function addAccountOptions(command: Command, what: string): Command {
  return command
    .addOption(
      repeatable(
        '--account-role <arn[#external-id]>',
        `also ${what} in the account of this role, assumed with sts:AssumeRole from the base credentials ` +
          '(repeatable; #EXTERNAL_ID when the role demands one)',
      ),
    )
    .addOption(
      new Option(
        '--no-home-account',
        `with --account-role: do not ${what} in the base credentials' own account (it only publishes)`,
      ),
    );
}

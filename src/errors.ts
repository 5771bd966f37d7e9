import { redact } from './redact.js';
import type { RunReport } from './report.js';

/**
 * Every failure irsa-issuer reports is one of these: a stable `code` for machines, an `exitCode`
 * for shells, and a message that says what failed, why, and what to do about it.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  verificationFailed: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class IrsaIssuerError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: ExitCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags, environment or configuration: nothing was attempted. Exit 2. */
export class ConfigError extends IrsaIssuerError {
  readonly code = 'ERR_CONFIG';
  readonly exitCode = ExitCode.usage;
}

/** A safety guard refused the run before anything was written. Exit 3. */
export abstract class GuardError extends IrsaIssuerError {
  readonly exitCode = ExitCode.refused;
}

export class PrivateKeyMaterialError extends GuardError {
  readonly code = 'ERR_PRIVATE_KEY_MATERIAL';
}

export class EmptyKeySetError extends GuardError {
  readonly code = 'ERR_EMPTY_KEY_SET';
}

export class InvalidKeyError extends GuardError {
  readonly code = 'ERR_INVALID_KEY';
}

export class IssuerMismatchError extends GuardError {
  readonly code = 'ERR_ISSUER_MISMATCH';
}

export class KeyReplacementError extends GuardError {
  readonly code = 'ERR_KEY_REPLACEMENT';
}

export class ForeignIssuerError extends GuardError {
  readonly code = 'ERR_FOREIGN_ISSUER';
}

/**
 * A resource of the name bootstrap (or trust-policy --create) would create exists, but irsa-issuer
 * did not make it for this issuer (no managed-by and issuer tags): it is someone else's.
 */
export class UnmanagedResourceError extends GuardError {
  readonly code = 'ERR_UNMANAGED_RESOURCE';
}

/** The bucket cannot serve the documents publicly as it is (Block Public Access, a Deny), and may not be changed. */
export class PublicReadBlockedError extends GuardError {
  readonly code = 'ERR_PUBLIC_READ_BLOCKED';
}

/**
 * The cluster still lists a key whose private half was published. Unlike the other guards this one
 * fails after the clean key set is published: removing the exposure cannot wait.
 */
export class ExposedKeyError extends GuardError {
  readonly code = 'ERR_EXPOSED_KEY';
}

/** teardown found something with our names that is not ours, or still in use: nothing was deleted. */
export class TeardownRefusedError extends GuardError {
  readonly code = 'ERR_TEARDOWN_REFUSED';
}

/** Reading from the Kubernetes API server (or PEM files) failed. Exit 1. */
export class ClusterReadError extends IrsaIssuerError {
  readonly code = 'ERR_CLUSTER_READ';
  readonly exitCode = ExitCode.failed;
}

/** Reading or writing the publish target (S3 or a directory) failed. Exit 1. */
export class PublishError extends IrsaIssuerError {
  readonly code = 'ERR_PUBLISH';
  readonly exitCode = ExitCode.failed;
}

/** Another writer changed an object between our read and our conditional write, twice. Exit 1. */
export class PublishConflictError extends IrsaIssuerError {
  readonly code = 'ERR_PUBLISH_CONFLICT';
  readonly exitCode = ExitCode.failed;
}

/** The TLS probe for the thumbprint failed. Exit 1. */
export class ThumbprintError extends IrsaIssuerError {
  readonly code = 'ERR_THUMBPRINT';
  readonly exitCode = ExitCode.failed;
}

/**
 * Through a proxy, the TLS chain the probe read may be the proxy's own (TLS inspection), so its
 * thumbprint is not reported for IAM. Exit 1.
 */
export class TlsInspectionError extends IrsaIssuerError {
  readonly code = 'ERR_TLS_INSPECTION';
  readonly exitCode = ExitCode.failed;
}

/** An IAM call failed. Exit 1. */
export class IamError extends IrsaIssuerError {
  readonly code = 'ERR_IAM';
  readonly exitCode = ExitCode.failed;
}

/** STS refused (or could not be asked) to let the run into another account's role. Exit 1. */
export class AssumeRoleError extends IrsaIssuerError {
  readonly code = 'ERR_ASSUME_ROLE';
  readonly exitCode = ExitCode.failed;
}

/** The provider could not be kept right in at least one of several accounts; the others were. Exit 1. */
export class AccountsFailedError extends IrsaIssuerError {
  readonly code = 'ERR_ACCOUNTS';
  readonly exitCode = ExitCode.failed;
}

/**
 * A state the code believes cannot happen. The CLI reports it as a bug, with its details, rather
 * than as an AWS or Kubernetes failure the user could fix. Exit 1.
 */
export class InternalError extends IrsaIssuerError {
  readonly code = 'ERR_INTERNAL';
  readonly exitCode = ExitCode.failed;
}

/** A stage of a run did not finish within its deadline (`--timeout`). Exit 1. */
export class DeadlineError extends IrsaIssuerError {
  readonly code = 'ERR_DEADLINE';
  readonly exitCode = ExitCode.failed;
}

/**
 * A run stopped at a stage: the stage's own error (its code, exit code and message) together with
 * the report of what the run had done until then, so a failure after a write still says what was
 * written. The CLI prints the report, then the message.
 */
export class RunFailedError extends IrsaIssuerError {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly report: RunReport;

  constructor(cause: IrsaIssuerError, report: RunReport) {
    super(cause.message, { cause });
    this.code = cause.code;
    this.exitCode = cause.exitCode;
    this.report = report;
  }
}

/** At least one federation check failed. Exit 4. */
export class VerificationFailedError extends IrsaIssuerError {
  readonly code = 'ERR_VERIFICATION_FAILED';
  readonly exitCode = ExitCode.verificationFailed;
}

export function isIrsaIssuerError(error: unknown): error is IrsaIssuerError {
  return error instanceof IrsaIssuerError;
}

/**
 * The message of any thrown value, for wrapping an SDK or network error once at a stage boundary;
 * whatever an upstream echoed in it (a token, a key) is redacted here, where it enters our messages.
 */
export function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const name = error.name !== 'Error' ? error.name : typeof code === 'string' ? code : '';
    return redact(name && !error.message.startsWith(name) ? `${name}: ${error.message}` : error.message);
  }
  return redact(String(error));
}

/**
 * The AWS error code of an SDK error, without the `Exception` suffix SDK v3 adds to modelled
 * errors (`LimitExceededException` and an unmodelled `AccessDenied` both come out plain).
 */
export function awsErrorName(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { Code?: unknown; code?: unknown }).Code ?? (error as { code?: unknown }).code;
  const name = error.name !== 'Error' ? error.name : typeof code === 'string' ? code : undefined;
  return name?.replace(/Exception$/, '');
}

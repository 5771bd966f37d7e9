/** What a bootstrap did (or, on a dry run, plans), and what it had written when it stopped. */
import { IrsaIssuerError, type ExitCode } from '../errors.js';
import type { RunReport } from '../report.js';
import type { NextSteps } from './next.js';
import type { PolicyDocument } from './policies.js';

export interface BootstrapPart {
  readonly status: 'changed' | 'unchanged' | 'planned';
  readonly summary: string;
  readonly changes: readonly string[];
  readonly notes: readonly string[];
}

/** The registrar role of one `--account-role` account. */
export interface RegistrarPart {
  readonly account: string;
  readonly roleArn: string;
  /** `not created`: without --create-registrar-roles; create it from the documents (or terraform/modules/registrar). */
  readonly status: 'created' | 'changed' | 'unchanged' | 'planned' | 'not created';
  readonly changes: readonly string[];
  readonly trustPolicy: PolicyDocument;
  readonly permissions: PolicyDocument;
}

export interface BootstrapReport {
  readonly command: 'bootstrap';
  readonly issuer: string;
  readonly account: string;
  readonly cluster: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly region: string;
  readonly dryRun: boolean;
  readonly bucketStep: BootstrapPart;
  /** sync's own report: on a dry run, its plan. */
  readonly sync: RunReport;
  readonly provider: { readonly arn: string };
  readonly role: BootstrapPart & { readonly name: string; readonly arn: string };
  readonly registrars: readonly RegistrarPart[];
  readonly warnings: readonly string[];
  readonly changed: boolean;
  readonly next: NextSteps;
}

/**
 * A bootstrap that stopped after it had written something: the error's code and exit code, with
 * what each part had done, so the CLI can print what was written before the message.
 */
export class BootstrapFailedError extends IrsaIssuerError {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly written: readonly string[];
  readonly syncReport?: RunReport;

  constructor(cause: IrsaIssuerError, written: readonly string[], syncReport?: RunReport) {
    super(
      `${cause.message}\n${
        written.length === 0
          ? 'bootstrap had written nothing yet.'
          : `bootstrap had already made these changes (run it again once fixed; it picks up from here):\n${written
              .map((line) => `  ${line}`)
              .join('\n')}`
      }`,
      { cause },
    );
    this.code = cause.code;
    this.exitCode = cause.exitCode;
    this.written = written;
    if (syncReport !== undefined) this.syncReport = syncReport;
  }
}

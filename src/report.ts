/** What a run did: the CLI prints it as text or JSON; tests and the daemon read it as data. */
import type { VerifyReport } from './verify/index.js';

export type Stage = 'read' | 'build' | 'publish' | 'thumbprint' | 'register' | 'verify';

/** `planned`: a dry run found changes and made none. `failed`: the stage stopped the run, or verify found a ✗. */
export type StepStatus = 'changed' | 'unchanged' | 'planned' | 'skipped' | 'failed';

export interface StepReport {
  readonly stage: Stage;
  /**
   * With `--account-role`: the account this line is about (`home` for the base credentials', else
   * its ID); absent when the run registers in the home account only.
   */
  readonly account?: string;
  readonly status: StepStatus;
  /** One line a person reads: what this step found or did. */
  readonly summary: string;
  /** One line per change made (or planned). */
  readonly changes: readonly string[];
  /** What was found and deliberately left alone (an extra audience, someone else's tag). */
  readonly notes: readonly string[];
  readonly durationMs: number;
}

/**
 * What a stage returns: its own line of the report (the run adds the stage's name and time), the
 * warnings it raised, and the value the next stage needs.
 */
export interface StageOutcome<T> {
  readonly value: T;
  readonly status: StepStatus;
  readonly summary: string;
  readonly changes?: readonly string[];
  readonly notes?: readonly string[];
  readonly warnings?: readonly string[];
}

export interface RunReport {
  /** `register`: a register-only run (`irsa-issuer register`, `sync --no-publish`). */
  readonly command: 'sync' | 'register';
  readonly issuer: string;
  readonly target: string;
  readonly source: string;
  readonly dryRun: boolean;
  readonly kids: readonly string[];
  readonly warnings: readonly string[];
  readonly steps: readonly StepReport[];
  readonly changed: boolean;
  /** With `sync --verify`: every check, as `irsa-issuer verify` reports them. */
  readonly verification?: VerifyReport;
  /** The stage that stopped the run and why; the steps before it say what they had done. */
  readonly failure?: { readonly stage: Stage; readonly code: string; readonly message: string };
  readonly durationMs: number;
}

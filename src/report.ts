/** What a run did: the CLI prints it as text or JSON; tests and the daemon read it as data. */
export type Stage = 'read' | 'build' | 'publish' | 'thumbprint' | 'register' | 'verify';

import { renderVerifyText } from './verify/render.js';
import type { VerifyReport } from './verify/verify.js';

/** `planned`: a dry run found changes and made none. `failed`: only verify ends a run this way. */
export type StepStatus = 'changed' | 'unchanged' | 'planned' | 'skipped' | 'failed';

export interface StepReport {
  readonly stage: Stage;
  readonly status: StepStatus;
  /** One line a person reads: what this step found or did. */
  readonly summary: string;
  /** One line per change made (or planned). */
  readonly changes: readonly string[];
  /** What was found and deliberately left alone (an extra audience, someone else's tag). */
  readonly notes: readonly string[];
  readonly durationMs: number;
}

export interface RunReport {
  readonly command: 'sync';
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
  readonly durationMs: number;
}

const mark: Record<StepStatus, string> = { changed: '~', unchanged: '=', planned: '+', skipped: '-', failed: '✗' };

export function renderReportText(report: RunReport): string {
  const lines = [
    `${report.dryRun ? 'Plan' : 'Sync'} for issuer ${report.issuer}`,
    `  keys from ${report.source}: ${report.kids.join(', ')}`,
    `  target ${report.target}`,
  ];
  for (const step of report.steps) {
    lines.push(`${mark[step.status]} ${step.stage.padEnd(10)} ${step.summary} (${step.durationMs} ms)`);
    for (const change of step.changes) lines.push(`    ${change}`);
    for (const note of step.notes) lines.push(`    (${note})`);
  }
  for (const warning of report.warnings) lines.push(`! ${warning}`);
  const outcome = report.dryRun
    ? report.changed ? 'Dry run: the changes above were planned, none made.' : 'Dry run: nothing to change.'
    : report.changed ? 'Done: changes made.' : 'Done: everything was already up to date; nothing written.';
  lines.push(`${outcome} (${report.durationMs} ms)`);
  const text = `${lines.join('\n')}\n`;
  return report.verification === undefined ? text : `${text}\n${renderVerifyText(report.verification)}`;
}

export function renderReportJson(report: RunReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

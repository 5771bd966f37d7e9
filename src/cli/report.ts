/** Presentation: every report as a person reads it (text) or a machine does (JSON). */
import { escapeControl } from '../redact.js';
import type { RunReport, StepStatus } from '../report.js';
import type { Check, CheckStatus, VerifyReport } from '../verify/index.js';

export type OutputFormat = 'text' | 'json';

const stepMark: Record<StepStatus, string> = { changed: '~', unchanged: '=', planned: '+', skipped: '-', failed: '✗' };
const checkMark: Record<CheckStatus, string> = { passed: '✓', failed: '✗', skipped: '-' };

function json(report: object): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function outcomeLine(report: RunReport): string {
  if (report.failure !== undefined) {
    const { stage } = report.failure;
    if (report.dryRun) return `Dry run stopped at ${stage}; nothing was written.`;
    return report.changed
      ? `Failed at ${stage}, after the changes above were made.`
      : `Failed at ${stage}; nothing was written.`;
  }
  if (report.dryRun)
    return report.changed ? 'Dry run: the changes above were planned, none made.' : 'Dry run: nothing to change.';
  return report.changed ? 'Done: changes made.' : 'Done: everything was already up to date; nothing written.';
}

function runReportText(report: RunReport): string {
  const lines = [
    `${report.dryRun ? 'Plan' : report.command === 'register' ? 'Register' : 'Sync'} for issuer ${report.issuer}`,
    `  keys from ${report.source}: ${report.kids.join(', ')}`,
    `  target ${report.target}`,
  ];
  for (const step of report.steps) {
    const account = step.account === undefined ? '' : `account ${step.account}: `;
    lines.push(`${stepMark[step.status]} ${step.stage.padEnd(10)} ${account}${step.summary} (${step.durationMs} ms)`);
    for (const change of step.changes) lines.push(`    ${change}`);
    for (const note of step.notes) lines.push(`    (${note})`);
  }
  for (const warning of report.warnings) lines.push(`! ${warning}`);
  lines.push(`${outcomeLine(report)} (${report.durationMs} ms)`);
  const text = `${lines.join('\n')}\n`;
  return report.verification === undefined ? text : `${text}\n${verifyReportText(report.verification)}`;
}

function checkLines(checks: readonly Check[], indent = ''): string[] {
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${indent}${checkMark[check.status]} ${check.id.padEnd(10)} ${check.title}: ${check.detail}`);
    for (const warning of check.warnings) lines.push(`${indent}    warning: ${warning}`);
    if (check.status === 'failed' && check.fix !== undefined) lines.push(`${indent}    fix: ${check.fix}`);
  }
  return lines;
}

/** One line per check; under a ✗ its `fix:`, under any check its warnings; then each other account's. */
function verifyReportText(report: VerifyReport): string {
  const lines = [`Verify issuer ${report.issuer}`, ...checkLines(report.checks)];
  for (const account of report.accounts ?? []) {
    lines.push(`account ${account.account}${account.roleArn === undefined ? '' : ` (as ${account.roleArn})`}:`);
    lines.push(...checkLines(account.checks, '  '));
  }
  for (const warning of report.warnings) lines.push(`! ${warning}`);
  const all = [...report.checks, ...(report.accounts ?? []).flatMap((account) => account.checks)];
  const count = (status: CheckStatus) => all.filter((check) => check.status === status).length;
  const ran = all.length - count('skipped');
  const skippedNote = count('skipped') === 0 ? '' : `, ${count('skipped')} skipped`;
  lines.push(
    report.ok
      ? `Verified: all ${ran} checks run passed${skippedNote}. (${report.durationMs} ms)`
      : `Verification failed: ${count('failed')} of ${ran} checks run failed${skippedNote}. (${report.durationMs} ms)`,
  );
  return `${lines.join('\n')}\n`;
}

// JSON escapes control characters itself; text for a terminal must not carry them (a key ID could
// otherwise clear the screen or forge a line).
export function renderRunReport(report: RunReport, format: OutputFormat): string {
  return format === 'json' ? json(report) : escapeControl(runReportText(report));
}

export function renderVerifyReport(report: VerifyReport, format: OutputFormat): string {
  return format === 'json' ? json(report) : escapeControl(verifyReportText(report));
}

import type { CheckStatus } from './check.js';
import type { VerifyReport } from './verify.js';

const mark: Record<CheckStatus, string> = { passed: '✓', failed: '✗', skipped: '-' };

/** One line per check; under a ✗ its `fix:`, under any check its warnings. */
export function renderVerifyText(report: VerifyReport): string {
  const lines = [`Verify issuer ${report.issuer}`];
  for (const check of report.checks) {
    lines.push(`${mark[check.status]} ${check.id.padEnd(10)} ${check.title}: ${check.detail}`);
    for (const warning of check.warnings) lines.push(`    warning: ${warning}`);
    if (check.status === 'failed' && check.fix !== undefined) lines.push(`    fix: ${check.fix}`);
  }
  for (const warning of report.warnings) lines.push(`! ${warning}`);
  const count = (status: CheckStatus) => report.checks.filter((check) => check.status === status).length;
  const ran = report.checks.length - count('skipped');
  const skippedNote = count('skipped') === 0 ? '' : `, ${count('skipped')} skipped`;
  lines.push(
    report.ok
      ? `Verified: all ${ran} checks run passed${skippedNote}. (${report.durationMs} ms)`
      : `Verification failed: ${count('failed')} of ${ran} checks run failed${skippedNote}. (${report.durationMs} ms)`,
  );
  return `${lines.join('\n')}\n`;
}

export function renderVerifyJson(report: VerifyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

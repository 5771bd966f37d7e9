// `npm audit` gate: fail on any high or critical advisory. Where the registry's advisory endpoint
// cannot be reached (a mirror or proxy that serves packages only), say so loudly and pass: that is
// an unknown, not a finding, and it must not block a change that the audit could not judge.
import { spawnSync } from 'node:child_process';

const audit = spawnSync('npm', ['audit', '--json'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(audit.stdout);
} catch {
  console.error(`npm audit printed no JSON (exit ${audit.status}):\n${audit.stderr}`);
  process.exit(1);
}
if (report.metadata?.vulnerabilities === undefined) {
  console.log(
    `npm audit: NOT CHECKED, the advisory endpoint answered: ${report.message ?? report.error?.summary ?? 'no report'}`,
  );
  process.exit(0);
}
const { high = 0, critical = 0, moderate = 0, low = 0 } = report.metadata.vulnerabilities;
console.log(`npm audit: ${critical} critical, ${high} high, ${moderate} moderate, ${low} low`);
process.exit(high + critical > 0 ? 1 : 0);

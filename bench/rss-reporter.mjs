// Loaded with --import before the measured program: reports the process's peak RSS and CPU time
// (user + system) on exit, for bench/measure.ts.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const usage = process.resourceUsage();
  writeSync(2, `\nbench-max-rss-kib ${usage.maxRSS}\nbench-cpu-us ${usage.userCPUTime + usage.systemCPUTime}\n`);
});

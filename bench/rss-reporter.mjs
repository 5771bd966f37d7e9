// Loaded with --import before the bundle: reports the process's peak RSS on exit, for bench/run.ts.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nbench-max-rss-kib ${process.resourceUsage().maxRSS}\n`);
});

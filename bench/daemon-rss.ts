/**
 * The daemon's memory over many runs: the built bundle as `irsa-issuer daemon` on a seconds
 * schedule against the API server stand-in and a directory target, 50 runs (about 50 s). Prints
 * the process's RSS (from /proc, as the kubelet's cgroup sees it, near enough) and V8's used heap
 * (from its own /metrics) after run 1 and after run 50. Flat numbers mean no leak per run; the
 * chart's memory limit is set from them. Printed, not asserted: `npx tsx bench/daemon-rss.ts [RUNS]`
 * after `npm run build` (a sample every 50 runs), or `npm run bench`.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemonProcess, type DaemonProcess } from '../test/daemon/daemon-process.js';
import { scrape } from '../test/daemon/scrape.js';
import { startApiServer } from '../test/stand/apiserver.js';

const runs = Number(process.argv[2] ?? 50);
const issuer = 'https://oidc.example.com/clusters/bench';

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${String(pid)}/status`);
  return Number(kib) / 1024;
}

async function sample(daemon: DaemonProcess): Promise<string> {
  const rss = await rssMiB(daemon.pid);
  const heap = (await scrape(daemon)).value('nodejs_heap_size_used_bytes') / 1024 / 1024;
  return `RSS ${rss.toFixed(1)} MiB, V8 heap used ${heap.toFixed(1)} MiB`;
}

const stand = await startApiServer({ issuer });
const target = await mkdtemp(join(tmpdir(), 'irsa-bench-daemon-'));
let daemon: DaemonProcess | undefined;
try {
  daemon = await startDaemonProcess([
    '--schedule',
    '*/1 * * * * *',
    '--issuer',
    issuer,
    '--target',
    `file://${target}`,
    '--no-register',
    '--kubeconfig',
    stand.kubeconfigPath,
    '--context',
    'reader',
    '--log-level',
    'info',
    '--output',
    'json',
  ]);
  await daemon.waitForRuns(1);
  const first = await sample(daemon);
  const samples: string[] = [];
  for (let at = 50; at < runs; at += 50) {
    await daemon.waitForRuns(at, (at + 10) * 1000);
    samples.push(`after run ${String(at)}: ${await sample(daemon)}`);
  }
  const finished = await daemon.waitForRuns(runs, (runs + 10) * 1000);
  const last = await sample(daemon);
  const failed = finished.filter((run) => run.result !== 'success').length;
  const skipped = (await scrape(daemon)).value('irsa_issuer_runs_total', { result: 'skipped' });
  console.log(
    `daemon on Node ${process.version}, schedule every second, file target, ${String(finished.length)} runs (${String(failed)} failed, ${String(skipped)} ticks skipped)`,
  );
  console.log(`after run 1: ${first}`);
  for (const line of samples) console.log(line);
  console.log(`after run ${String(runs)}: ${last}`);
  daemon.signal('SIGTERM');
  const exit = await daemon.exited;
  console.log(`SIGTERM: exit ${String(exit.code)}`);
} finally {
  await daemon?.kill();
  await stand.stop();
  await rm(target, { recursive: true, force: true });
  await rm(stand.chain.directory, { recursive: true, force: true });
}

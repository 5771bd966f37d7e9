/**
 * The daemon as the Deployment runs it: the built bundle, `irsa-issuer daemon` on a schedule of
 * every second (cron's finest), against the bench's stand-ins with S3 and IAM. Reports the RSS
 * after run 1 and after the last (from /proc, as the kubelet's cgroup sees it, near enough) and
 * the CPU time per no-op run (utime + stime from /proc between the first and the last run).
 */
import { readFile } from 'node:fs/promises';
import { startDaemonProcess, type DaemonProcess } from '../test/daemon/daemon-process.js';
import type { BenchWorld } from './world.js';

export interface DaemonProcessResult {
  readonly runs: number;
  readonly failed: number;
  readonly cpuMsPerRun: number;
  /** [after run N, RSS MiB] */
  readonly rss: readonly (readonly [number, number])[];
}

async function procStatus(pid: number): Promise<{ rssMiB: number; cpuMs: number }> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
  // /proc/PID/stat: fields 14 and 15 are utime and stime in clock ticks (100 per second on Linux).
  const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return { rssMiB: kib / 1024, cpuMs: ticks * 10 };
}

/** RSS is read after run 2 and after each of `checkpoints` (the last one is how many runs are made). */
export async function runDaemonProcess(
  world: BenchWorld,
  checkpoints: readonly number[],
): Promise<DaemonProcessResult> {
  const args = world.syncArgs().slice(1);
  args[args.indexOf('--log-level') + 1] = 'info';
  let daemon: DaemonProcess | undefined;
  try {
    daemon = await startDaemonProcess(['--schedule', '* * * * * *', ...args], world.env);
    // Run 1 is the first sync (it writes); run 2 on are no-op runs.
    await daemon.waitForRuns(2, 30_000);
    const first = await procStatus(daemon.pid);
    const rss: [number, number][] = [[2, first.rssMiB]];
    let last = first;
    let finished: Awaited<ReturnType<DaemonProcess['waitForRuns']>> = [];
    for (const checkpoint of [...checkpoints].sort((a, b) => a - b)) {
      finished = await daemon.waitForRuns(checkpoint, (checkpoint + 30) * 1000);
      last = await procStatus(daemon.pid);
      rss.push([finished.length, last.rssMiB]);
    }
    daemon.signal('SIGTERM');
    await daemon.exited;
    return {
      runs: finished.length,
      failed: finished.filter((run) => run.result !== 'success').length,
      cpuMsPerRun: (last.cpuMs - first.cpuMs) / Math.max(1, finished.length - 2),
      rss,
    };
  } finally {
    await daemon?.kill();
  }
}

/**
 * The daemon's runs without its schedule, so 1,000 of them fit in a bench: the flags parsed as the
 * daemon parses them, the request and clients built once (syncSetup, as `irsa-issuer daemon`
 * does) and `sync` called back to back, in this process. Reports the CPU time of each no-op run
 * and the process's RSS after runs 1, 100 and 1,000: a per-run leak shows as RSS that keeps growing.
 * It runs the TypeScript sources under tsx, so its RSS is a few tens of MiB above the bundle's: the
 * slope is the number to read, not the level.
 */
import { Command } from 'commander';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { syncSetup } from '../src/cli/sync-action.js';
import { addSyncOptions, type SyncFlags } from '../src/cli/sync.js';
import { sync } from '../src/sync.js';
import { stats } from './measure.js';
import type { BenchWorld } from './world.js';

export interface DaemonLoopResult {
  readonly runs: number;
  readonly failed: number;
  readonly cpuMsPerRun: { min: number; median: number; max: number };
  readonly rss: readonly (readonly [number, number])[];
  /**
   * V8's used heap after a full garbage collection, same points: what the runs still hold, without
   * the allocator's slack or garbage not yet collected. A per-run leak shows here as a slope.
   */
  readonly heap: readonly (readonly [number, number])[];
}

/** V8's own full collection, without starting the bench under --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export async function runDaemonLoop(world: BenchWorld, runs: number): Promise<DaemonLoopResult> {
  // The AWS SDK reads its credentials and endpoints from the process environment.
  const saved = { ...process.env };
  Object.assign(process.env, world.env);
  try {
    const command = addSyncOptions(new Command('sync')).exitOverride();
    command.parse(world.syncArgs().slice(1), { from: 'user' });
    const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: world.env };
    const { request, clients } = await syncSetup(command.opts<SyncFlags>(), io);
    const cpu: number[] = [];
    const rss: [number, number][] = [];
    const heap: [number, number][] = [];
    let failed = 0;
    for (let run = 1; run <= runs; run++) {
      const before = process.cpuUsage();
      try {
        await sync(request, clients);
      } catch {
        failed += 1;
      }
      const used = process.cpuUsage(before);
      if (run > 1) cpu.push((used.user + used.system) / 1000);
      // The proxies in this process keep a record of every request: the bench's memory, not the runs'.
      world.aws.reset();
      world.api.reset();
      if (run === 1 || run === 100 || run === runs) {
        collectGarbage();
        rss.push([run, process.memoryUsage.rss() / 1024 / 1024]);
        heap.push([run, process.memoryUsage().heapUsed / 1024 / 1024]);
      }
    }
    return { runs, failed, cpuMsPerRun: stats(cpu), rss, heap };
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) Reflect.deleteProperty(process.env, name);
    Object.assign(process.env, saved);
  }
}

/**
 * `npm run bench`: the numbers behind irsa-issuer's speed and memory claims, printed as a table and
 * written to bench/results.json; measured, never asserted (timing stays out of the test suite).
 * bench/README.md says what each row measures. Every irsa-issuer row is paired with its baseline
 * (`node -e 0`, or the manual pipeline), the two run alternately in the same loop, so a noisy
 * machine disturbs both alike; the ratio is of the medians.
 *
 *   npx tsx bench/run.ts [--quick] [--daemon-runs N]   (after npm run build; --quick: fewer runs, for trying
 *   it out; --daemon-runs: the daemon process's runs, one a second, 100 by default)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateSigningKey, type SigningKey } from '../test/stand/apiserver-keys.js';
import { runDaemonLoop, type DaemonLoopResult } from './daemon-loop.js';
import { runDaemonProcess, type DaemonProcessResult } from './daemon-rss.js';
import { importCosts } from './imports.js';
import { commandLoads, type CommandLoad } from './loads.js';
import { runOnce, stats, type Sample } from './measure.js';
import { bucket, prefix, requestCounts, sequentialWaves, startBenchWorld, type BenchWorld } from './world.js';

const quick = process.argv.includes('--quick');
// --daemon-runs N: the daemon process runs N times (one a second) instead of 100, RSS read along the way.
const daemonRunsAt = process.argv.indexOf('--daemon-runs');
const daemonRuns = daemonRunsAt === -1 ? (quick ? 10 : 100) : Number(process.argv[daemonRunsAt + 1]);
const runs = quick ? 3 : 9;
const bundle = resolve(import.meta.dirname, '..', 'dist', 'irsa-issuer.mjs');
const node = process.execPath;
const baseline = [node, '-e', '0'];
const cli = (args: readonly string[]) => [node, bundle, ...args];

interface Row {
  readonly name: string;
  readonly ms: { min: number; median: number; max: number };
  readonly rssMiB: { min: number; median: number; max: number };
  readonly cpuMs: { min: number; median: number; max: number };
  /** Median wall time over the paired baseline's; absent for an unpaired row. */
  readonly ratio?: number;
  readonly pairedWith?: string;
  readonly failures: number;
}

const rows: Row[] = [];
const notes: string[] = [];

function row(name: string, samples: readonly Sample[], paired?: { name: string; samples: readonly Sample[] }): Row {
  const ms = stats(samples.map((sample) => sample.ms));
  const result: Row = {
    name,
    ms,
    rssMiB: stats(samples.map((sample) => sample.rssMiB)),
    cpuMs: stats(samples.map((sample) => sample.cpuMs)),
    ...(paired === undefined
      ? {}
      : {
          pairedWith: paired.name,
          ratio: ms.median / Math.max(1, stats(paired.samples.map((sample) => sample.ms)).median),
        }),
    failures: samples.filter((sample) => sample.code !== 0).length,
  };
  rows.push(result);
  return result;
}

/** Runs A and B alternately, `count` times each; `before` runs (unmeasured) ahead of every run of either. */
async function paired(
  names: readonly [string, string],
  a: () => Promise<Sample>,
  b: () => Promise<Sample>,
  count: number,
): Promise<void> {
  const first: Sample[] = [];
  const second: Sample[] = [];
  for (let run = 0; run < count; run++) {
    first.push(await a());
    second.push(await b());
  }
  row(names[1], second);
  row(names[0], first, { name: names[1], samples: second });
}

const fmt = (value: number, digits = 0) => value.toFixed(digits);

function printTable(): void {
  const header = ['', 'wall ms min/median/max', 'CPU ms (median)', 'peak RSS MiB (median)', 'ratio'];
  const lines = rows.map((entry) => [
    entry.name,
    `${fmt(entry.ms.min)} / ${fmt(entry.ms.median)} / ${fmt(entry.ms.max)}`,
    entry.rssMiB.median === 0 ? '-' : fmt(entry.cpuMs.median),
    entry.rssMiB.median === 0 ? '-' : fmt(entry.rssMiB.median),
    entry.ratio === undefined ? '' : `${fmt(entry.ratio, 2)}× ${entry.pairedWith ?? ''}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)),
  );
  const print = (cells: readonly string[]) => {
    console.log(
      cells
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  };
  print(header);
  for (const line of lines) print(line);
}

function printDaemon(process_: DaemonProcessResult | undefined, loop: DaemonLoopResult | undefined): void {
  const rss = (points: readonly (readonly [number, number])[]) =>
    points.map(([at, mib]) => `after run ${String(at)} ${fmt(mib, 1)} MiB`).join(', ');
  if (process_ !== undefined) {
    console.log(
      `\ndaemon process (the bundle, schedule every second, S3 + IAM): ${String(process_.runs)} runs ` +
        `(${String(process_.failed)} failed); CPU per no-op run ${fmt(process_.cpuMsPerRun, 1)} ms; RSS ${rss(process_.rss)}`,
    );
  }
  if (loop !== undefined) {
    console.log(
      `daemon loop (the daemon's clients, runs back to back, in-process under tsx): ${String(loop.runs)} runs ` +
        `(${String(loop.failed)} failed); CPU per no-op run median ${fmt(loop.cpuMsPerRun.median, 1)} ms; RSS ${rss(loop.rss)}; V8 heap used after a full GC ${rss(loop.heap)}`,
    );
  }
}

async function tools(): Promise<{ found: string[]; missing: string[] }> {
  const found: string[] = [];
  const missing: string[] = [];
  for (const tool of ['kubectl', 'jq', 'aws', 'openssl']) {
    try {
      await promisify(execFile)('sh', ['-c', `command -v ${tool}`]);
      found.push(tool);
    } catch {
      missing.push(tool);
    }
  }
  return { found, missing };
}

/** A first sync (fresh account and bucket) or a no-op one (after a first sync), measured. */
async function syncSample(world: BenchWorld, kind: 'first' | 'no-op'): Promise<Sample> {
  if (kind === 'first') await world.reset();
  else await runOnce(cli(world.syncArgs()), world.env);
  return runOnce(cli(world.syncArgs()), world.env);
}

async function manualSample(world: BenchWorld, script: string): Promise<Sample> {
  await world.reset();
  return runOnce([script], {
    ...world.env,
    AWS_DEFAULT_REGION: world.env.AWS_REGION,
    KUBECONFIG_FILE: world.kubeconfig,
    KUBE_CONTEXT: 'proxied',
    ISSUER: world.issuer,
    BUCKET: bucket,
    PREFIX: prefix,
    S3_ENDPOINT: world.aws.url,
    IAM_ENDPOINT: world.aws.url,
    TLS_HOST: `${world.front.host}:${String(world.front.port)}`,
  });
}

async function keySets(): Promise<Map<number, SigningKey[]>> {
  // STS takes at most 100 RSA and 100 EC keys: 200 is half of each.
  const rsa = await Promise.all(Array.from({ length: 100 }, () => generateSigningKey('rsa')));
  const ec = await Promise.all(Array.from({ length: 100 }, () => generateSigningKey('ec')));
  const sets = new Map<number, SigningKey[]>();
  for (const count of [1, 10, 100, 200]) {
    const half = Math.floor(count / 2);
    sets.set(count, count === 1 ? rsa.slice(0, 1) : [...rsa.slice(0, count - half), ...ec.slice(0, half)]);
  }
  return sets;
}

console.log(`irsa-issuer bench: Node ${process.version}, ${String(cpus().length)} cores, ${new Date().toISOString()}`);
const started = performance.now();
const world = await startBenchWorld();
const scratch = await mkdtemp(join(tmpdir(), 'irsa-bench-'));
const requests: Record<string, Record<string, number>> = {};
const waves: Record<string, number> = {};
const later: {
  imports?: Awaited<ReturnType<typeof importCosts>>;
  daemonProcess?: DaemonProcessResult;
  daemonLoop?: DaemonLoopResult;
  loads?: CommandLoad[];
} = {};
try {
  const nodeRun = () => runOnce(baseline);
  await paired(['irsa-issuer --version', 'node -e 0'], () => runOnce(cli(['--version'])), nodeRun, runs);
  await paired(['irsa-issuer --help', 'node -e 0'], () => runOnce(cli(['--help'])), nodeRun, runs);
  const pem = join(scratch, 'sa.pub');
  await writeFile(pem, (await generateSigningKey('rsa')).publicKey.export({ type: 'spki', format: 'pem' }));
  const render = cli(['render', '--issuer', 'https://oidc.example.com/bench', '--public-key-file', pem]);
  await paired(['irsa-issuer render --public-key-file', 'node -e 0'], () => runOnce(render), nodeRun, runs);
  await paired(['sync, first (S3 + IAM, writes)', 'node -e 0'], () => syncSample(world, 'first'), nodeRun, runs);
  await paired(['sync, no-op (S3 + IAM, in sync)', 'node -e 0'], () => syncSample(world, 'no-op'), nodeRun, runs);
  later.loads = await commandLoads(
    [
      ['--version', ['--version']],
      ['--help', ['--help']],
      ['sync --help', ['sync', '--help']],
      ['render --public-key-file', render.slice(2)],
      [
        'sync --public-key-file, file target, --no-register',
        ['sync', ...render.slice(3), '--target', `file://${join(scratch, 'site')}`, '--no-register'],
      ],
      ['sync, no-op (S3 + IAM)', world.syncArgs()],
    ],
    world.env,
  );
  // What Node's compile cache (src/cli/main.ts) buys: the same no-op sync with it turned off.
  const noCache = { ...world.env, NODE_DISABLE_COMPILE_CACHE: '1' };
  await paired(
    ['sync, no-op, compile cache on', 'sync, no-op, compile cache off'],
    () => syncSample(world, 'no-op'),
    async () => {
      await runOnce(cli(world.syncArgs()), noCache);
      return runOnce(cli(world.syncArgs()), noCache);
    },
    runs,
  );

  // Request counts by kind, at the proxies: one first sync, then one no-op sync, each with the
  // per-request delay on, so that the waves of requests stand apart.
  await world.reset();
  for (const run of ['first sync', 'no-op sync']) {
    world.setLatency(100);
    await runOnce(cli(world.syncArgs()), world.env);
    requests[run] = requestCounts(world);
    waves[run] = sequentialWaves(world);
  }
  world.setLatency(0);

  const { found, missing } = await tools();
  notes.push(
    `manual pipeline tools found: ${found.join(', ') || 'none'}${missing.length ? `; missing: ${missing.join(', ')}` : ''}`,
  );
  const script = resolve(import.meta.dirname, 'manual.sh');
  const manualRuns = quick ? 2 : 5;
  for (const latency of [0, 100]) {
    world.setLatency(latency);
    const suffix = latency === 0 ? '' : ', +50 ms each way per request';
    if (missing.length > 0) {
      notes.push(`manual pipeline${suffix}: skipped, ${missing.join(', ')} not found`);
    } else {
      await paired(
        [`sync, first${suffix}`, `manual pipeline, first${suffix}`],
        () => syncSample(world, 'first'),
        () => manualSample(world, script),
        manualRuns,
      );
    }
    if (latency > 0) {
      await paired(
        ['sync, no-op, +50 ms each way per request', 'node -e 0'],
        () => syncSample(world, 'no-op'),
        nodeRun,
        runs,
      );
    }
  }
  world.setLatency(0);
  const plain = rows.find((entry) => entry.name === 'sync, no-op (S3 + IAM, in sync)');
  const slow = rows.find((entry) => entry.name === 'sync, no-op, +50 ms each way per request');
  if (plain && slow) {
    const trips = (slow.ms.median - plain.ms.median) / 100;
    notes.push(
      `no-op sync, from wall times: ${fmt(trips, 1)} round trips of latency on its critical path ((${fmt(slow.ms.median)} − ` +
        `${fmt(plain.ms.median)} ms) / 100 ms)`,
    );
  }

  const sets = await keySets();
  for (const [count, keys] of sets) {
    await world.reset(keys);
    await runOnce(cli(world.syncArgs()), world.env);
    const samples: Sample[] = [];
    for (let run = 0; run < runs; run++) samples.push(await runOnce(cli(world.syncArgs()), world.env));
    row(`sync, no-op, ${String(count)} key(s)`, samples);
  }
  await world.reset(sets.get(1));

  later.imports = await importCosts(quick ? 3 : 7);
  later.daemonProcess = await runDaemonProcess(
    world,
    [100, 250, 500, daemonRuns].filter((runs) => runs <= daemonRuns),
  );
  later.daemonLoop = await runDaemonLoop(world, quick ? 100 : 1000);
} finally {
  await world.stop();
  await rm(scratch, { recursive: true, force: true });
}

console.log('');
printTable();
const { imports = [], daemonProcess, daemonLoop, loads = [] } = later;
console.log('\nwhat each command line loads of the bundle (the files Node loads, and their size):');
for (const load of loads) {
  console.log(`  ${load.name.padEnd(52)} ${fmt(load.kib).padStart(5)} KiB in ${String(load.files)} files`);
}
console.log('\nrequests by kind, counted at the proxies:');
for (const [run, counts] of Object.entries(requests)) {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  console.log(
    `  ${run} (${String(total)} requests in ${String(waves[run] ?? 0)} sequential waves): ${Object.entries(counts)
      .map(([kind, count]) => `${kind} ×${String(count)}`)
      .join(', ')}`,
  );
}
console.log('\nwhat loading each dependency alone costs over an empty bundle (median):');
const empty = imports[0]?.runs ?? [];
const nodeMs = stats(empty.map((sample) => sample.ms)).median;
const nodeRss = stats(empty.map((sample) => sample.rssMiB)).median;
const nodeCpu = stats(empty.map((sample) => sample.cpuMs)).median;
for (const cost of imports.slice(1)) {
  const ms = stats(cost.runs.map((sample) => sample.ms)).median;
  const cpu = stats(cost.runs.map((sample) => sample.cpuMs)).median;
  const rss = stats(cost.runs.map((sample) => sample.rssMiB)).median;
  console.log(
    `  ${cost.name.padEnd(30)} ${fmt(cost.bundleKiB).padStart(5)} KiB  +${fmt(ms - nodeMs)} ms wall, +${fmt(cpu - nodeCpu)} ms CPU, +${fmt(rss - nodeRss)} MiB RSS`,
  );
}
printDaemon(daemonProcess, daemonLoop);
for (const note of notes) console.log(note);
const durationS = (performance.now() - started) / 1000;
console.log(`bench took ${fmt(durationS)} s`);
await writeFile(
  resolve(import.meta.dirname, 'results.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      loadAverage: (await import('node:os')).loadavg(),
      quick,
      rows,
      requests,
      waves,
      imports: imports.map((cost) => ({
        name: cost.name,
        bundleKiB: Math.round(cost.bundleKiB),
        ms: stats(cost.runs.map((sample) => sample.ms)),
        cpuMs: stats(cost.runs.map((sample) => sample.cpuMs)),
        rssMiB: stats(cost.runs.map((sample) => sample.rssMiB)),
      })),
      loads,
      daemonProcess,
      daemonLoop,
      notes,
      durationS,
    },
    null,
    2,
  )}\n`,
);

/**
 * One process run, measured from outside as a CronJob pod's would be: wall time, and peak RSS
 * (getrusage's ru_maxrss of the child, via /usr/bin/time when present, else the reporter preload).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface Sample {
  readonly ms: number;
  readonly rssMiB: number;
  readonly cpuMs: number;
  readonly code: number;
}

const reporter = resolve(import.meta.dirname, 'rss-reporter.mjs');

/** Runs `command` once; a Node command gets the reporter preloaded for its peak RSS and CPU time. */
export function runOnce(command: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Sample> {
  const [file = '', ...args] = command;
  const isNode = file === process.execPath;
  const argv = isNode ? ['--import', reporter, ...args] : args;
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(file, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const rss = /bench-max-rss-kib (\d+)/.exec(stderr)?.[1];
      const cpu = /bench-cpu-us (\d+)/.exec(stderr)?.[1];
      if (code !== 0)
        process.stderr.write(`bench: ${command.join(' ')} exited ${String(code)}:\n${stderr.slice(-2000)}\n`);
      done({ ms, rssMiB: Number(rss ?? 0) / 1024, cpuMs: Number(cpu ?? 0) / 1000, code: code ?? -1 });
    });
  });
}

export async function measure(command: readonly string[], runs: number, env?: NodeJS.ProcessEnv): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let run = 0; run < runs; run++) samples.push(await runOnce(command, env));
  return samples;
}

export function stats(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    min: sorted[0] ?? 0,
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    max: sorted[sorted.length - 1] ?? 0,
  };
}

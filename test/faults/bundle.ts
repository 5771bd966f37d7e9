/**
 * The built bundle as a process, the way a CronJob runs it, with a hard kill timer: a case that
 * hangs ends in SIGKILL at its deadline and says so, instead of hanging the suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const bundlePath = join(import.meta.dirname, '..', '..', 'dist', 'irsa-issuer.mjs');

export interface BundleRun {
  /** The exit code; null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The kill timer fired: the process was still running at its deadline. */
  readonly hung: boolean;
  readonly ms: number;
}

export interface RunningBundle {
  readonly child: ChildProcess;
  readonly done: Promise<BundleRun>;
}

/** Starts `node dist/irsa-issuer.mjs ARGS` with exactly `env`; SIGKILL after `deadlineMs`. */
export function startBundle(args: readonly string[], env: NodeJS.ProcessEnv, deadlineMs = 60_000): RunningBundle {
  const started = performance.now();
  const child = spawn(process.execPath, [bundlePath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, deadlineMs);
  const done = new Promise<BundleRun>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        hung,
        ms: Math.round(performance.now() - started),
      });
    });
  });
  return { child, done };
}

export function runBundle(args: readonly string[], env: NodeJS.ProcessEnv, deadlineMs?: number): Promise<BundleRun> {
  return startBundle(args, env, deadlineMs).done;
}

/**
 * `irsa-issuer daemon` as the Deployment runs it: the built bundle in its own process, its JSON log
 * lines read from stderr as they come, its endpoints fetched over HTTP, stopped with real signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../stand/moto.js';

const bundle = join(import.meta.dirname, '..', '..', 'dist', 'irsa-issuer.mjs');

/** A pino line as the daemon writes it. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly time: number;
  readonly [field: string]: unknown;
}

/** The summary line each run leaves (src/daemon/summary.ts). */
export interface RunLine extends LogLine {
  readonly run: number;
  readonly result: 'success' | 'failure';
  readonly startedAt: string;
  readonly durationMs: number;
  readonly steps: Readonly<Record<string, string>>;
  readonly changes: Readonly<Record<string, readonly string[]>>;
  readonly failure?: { readonly stage: string; readonly code: string; readonly message: string };
  readonly publishedKeys?: number;
  readonly ownKid?: string;
  readonly lockout?: string;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface DaemonProcess {
  /** `http://127.0.0.1:PORT` of its probe server. */
  readonly url: string;
  readonly pid: number;
  readonly logs: readonly LogLine[];
  readonly runs: readonly RunLine[];
  readonly stdout: string;
  readonly stderr: string;
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  /** The first log line (from the start) that satisfies `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Waits until `count` runs have finished and returns their summary lines. */
  waitForRuns(count: number, timeoutMs?: number): Promise<RunLine[]>;
  get(path: string, init?: RequestInit): Promise<Answer>;
  /** Polls `path` until `accept` holds for its answer. */
  poll(path: string, accept: (answer: Answer) => boolean, what: string, timeoutMs?: number): Promise<Answer>;
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL if still running: for clean-up after a failed assertion. */
  kill(): Promise<void>;
}

function isRunLine(line: LogLine): line is RunLine {
  return typeof line.run === 'number' && (line.result === 'success' || line.result === 'failure');
}

async function until<T>(
  find: () => T | undefined,
  what: string,
  timeoutMs: number,
  child: ChildProcess,
  stderr: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the daemon exited (${String(child.exitCode ?? child.signalCode)}) before ${what}; stderr:\n${stderr()}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`no ${what} within ${String(timeoutMs)} ms; stderr:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts the daemon on a free port; `args` follow `daemon`, `env` is its whole environment (PATH added). */
export async function startDaemonProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [bundle, 'daemon', '--listen', `127.0.0.1:${String(port)}`, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  const logs: LogLine[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      logs.push(JSON.parse(line) as LogLine);
    }
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const url = `http://127.0.0.1:${String(port)}`;
  const get = async (path: string, init?: RequestInit): Promise<Answer> => {
    const response = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: await response.text(), headers: response.headers };
  };
  const daemon: DaemonProcess = {
    url,
    pid: child.pid ?? 0,
    logs,
    get runs() {
      return logs.filter(isRunLine);
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitForLog: (predicate, what, timeoutMs = 10_000) =>
      until(
        () => logs.find(predicate),
        what,
        timeoutMs,
        child,
        () => stderr,
      ),
    waitForRuns: (count, timeoutMs = 15_000) =>
      until(
        () => {
          const runs = logs.filter(isRunLine);
          return runs.length >= count ? runs : undefined;
        },
        `${String(count)} finished runs`,
        timeoutMs,
        child,
        () => stderr,
      ),
    get,
    async poll(path, accept, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Answer | undefined;
      while (Date.now() < deadline) {
        last = await get(path).catch(() => undefined);
        if (last !== undefined && accept(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(
        `${path} never answered ${what} within ${String(timeoutMs)} ms; last: ${last === undefined ? 'no answer' : `${String(last.status)} ${last.body}`}`,
      );
    },
    signal(signal) {
      child.kill(signal);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  // Serving as soon as the process has started: wait for it, or for the process to give up.
  await daemon.waitForLog((line) => line.msg === 'daemon started', 'start', 15_000);
  return daemon;
}

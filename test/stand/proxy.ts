/**
 * A real forward proxy for the egress tests: Debian's tinyproxy, started per test file on a free
 * loopback port with its own configuration and log in a temporary directory, and stopped by it.
 * Its log is the oracle for "this connection went through the proxy": tinyproxy writes one
 * `Request (file descriptor N): CONNECT HOST:PORT HTTP/1.1` line per tunnel.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './moto.js';

export const tinyproxyInstallHint =
  'The proxy tests need tinyproxy on the PATH: apt-get install -y tinyproxy (.ci/run installs it).';

export interface ProxyStandOptions {
  /** Require these credentials (tinyproxy's BasicAuth): a CONNECT without them gets 407. */
  readonly credentials?: { readonly user: string; readonly password: string };
  /** Allow CONNECT to these ports only (ConnectPort); any port when omitted. */
  readonly connectPorts?: readonly number[];
}

export interface ProxyStand {
  /** `http://127.0.0.1:PORT`, without credentials. */
  readonly url: string;
  readonly port: number;
  /** `http://USER:PASSWORD@127.0.0.1:PORT` when credentials are required, else `url`. */
  readonly urlWithCredentials: string;
  /** Every `HOST:PORT` (or absolute URL) a client asked the proxy for since start, oldest first. */
  requests(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function checkTinyproxy(): Promise<void> {
  try {
    await promisify(execFile)('tinyproxy', ['-v']);
  } catch {
    throw new Error(`tinyproxy is not on the PATH. ${tinyproxyInstallHint}`);
  }
}

async function listening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}: ${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`tinyproxy did not listen on 127.0.0.1:${port} within 10 s: ${log()}`);
}

export async function startProxy(options: ProxyStandOptions = {}): Promise<ProxyStand> {
  await checkTinyproxy();
  const directory = await mkdtemp(join(tmpdir(), 'irsa-proxy-'));
  const port = await freePort();
  const logPath = join(directory, 'tinyproxy.log');
  const { credentials } = options;
  const config = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${logPath}"`,
    'LogLevel Connect',
    'MaxClients 50',
    'DisableViaHeader Yes',
    ...(credentials === undefined ? [] : [`BasicAuth ${credentials.user} ${credentials.password}`]),
    ...(options.connectPorts ?? []).map((allowed) => `ConnectPort ${allowed}`),
  ];
  const configPath = join(directory, 'tinyproxy.conf');
  await writeFile(configPath, `${config.join('\n')}\n`);
  const child = spawn('tinyproxy', ['-d', '-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await listening(port, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    urlWithCredentials:
      credentials === undefined
        ? url
        : `http://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`,
    async requests() {
      const log = await readFile(logPath, 'utf8').catch(() => '');
      return [...log.matchAll(/Request \(file descriptor \d+\): \S+ (\S+) HTTP/g)].map((match) => match[1] ?? '');
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<boolean>((resolve) =>
          child.once('exit', () => {
            resolve(true);
          }),
        );
        child.kill('SIGTERM');
        const gone = await Promise.race([
          exited,
          new Promise<boolean>((resolve) =>
            setTimeout(() => {
              resolve(false);
            }, 3000),
          ),
        ]);
        if (!gone) child.kill('SIGKILL');
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

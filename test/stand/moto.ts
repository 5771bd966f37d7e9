/**
 * moto_server (Python's moto) as the AWS stand-in: S3, IAM and STS on a free loopback port,
 * started and stopped by the tests themselves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface MotoServer {
  /** `http://127.0.0.1:PORT` (or https:// when started with TLS). */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export const motoInstallHint =
  'The tests need moto_server (Python moto with its server extra): pip install "moto[server]", then make sure moto_server is on the PATH.';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

async function waitUntilServing(endpoint: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`moto_server exited with code ${child.exitCode} before serving. ${motoInstallHint}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (response.status < 500) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer at ${endpoint} within ${deadlineMs} ms: ${String(lastError)}`);
}

export interface MotoOptions {
  /** Serve HTTPS with this certificate and key (PEM file paths). */
  readonly tls?: { readonly certPath: string; readonly keyPath: string };
  readonly env?: NodeJS.ProcessEnv;
}

export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const port = await freePort();
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  if (options.tls) args.push('-c', options.tls.certPath, '-k', options.tls.keyPath);
  const child = spawn('moto_server', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (error) => {
      reject(new Error(`could not start moto_server: ${error.message}. ${motoInstallHint}`));
    });
  });
  const endpoint = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  try {
    await Promise.race([waitUntilServing(endpoint, child, 20_000), spawnError]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}\n${stderr}`, { cause: error });
  }
  return {
    endpoint,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Forget every resource moto holds, so each test starts from an empty account. */
export async function resetMoto(moto: MotoServer): Promise<void> {
  await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
}

/**
 * Turns moto's IAM authentication on or off for every later request: on, each request must be
 * signed with an access key of an IAM user created in moto, and that user's policies decide
 * (AccessDenied otherwise); off (moto's default), any credentials pass. Anonymous requests only
 * work with it off: moto then still applies bucket policies and ACLs to unsigned object reads.
 */
export async function setMotoAuthentication(moto: MotoServer, enabled: boolean): Promise<void> {
  // moto's switch is a count of requests let through unauthenticated before checks start.
  const response = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: enabled ? '0' : 'inf' });
  if (!response.ok) throw new Error(`moto refused /moto-api/reset-auth: HTTP ${response.status}`);
}

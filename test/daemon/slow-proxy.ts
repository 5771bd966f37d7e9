/**
 * A TCP proxy in front of the API server stand-in that can hold each chunk the client sends for a
 * while (a slow control plane) and counts the connections clients open through it. TLS passes
 * through untouched, so the client still checks the stand's real certificate chain.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface SlowProxy {
  /** `https://127.0.0.1:PORT`, for a kubeconfig's server. */
  readonly url: string;
  /** Connections accepted since start. */
  readonly connections: number;
  /** Hold every chunk from a client this long before forwarding it; 0 forwards at once. */
  setDelay(ms: number): void;
  /** Resolves once a client has sent something while a delay was set: a request is being held. */
  held(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSlowProxy(upstream: string): Promise<SlowProxy> {
  const { hostname, port } = new URL(upstream);
  let delayMs = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  let waiters: (() => void)[] = [];

  const server: Server = createServer((client) => {
    connections += 1;
    const target = connect({ host: hostname, port: Number(port) });
    sockets.add(client);
    sockets.add(target);
    // Chunks go out in order even when the delay changes between them.
    let queue = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      const wait = delayMs;
      if (wait > 0) {
        for (const resolve of waiters) resolve();
        waiters = [];
      }
      queue = queue.then(
        () =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              if (!target.destroyed) target.write(chunk);
              resolve();
            }, wait);
          }),
      );
    });
    target.pipe(client);
    const close = () => {
      client.destroy();
      target.destroy();
      sockets.delete(client);
      sockets.delete(target);
    };
    client.on('error', close).on('close', close);
    target.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const listening = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `https://127.0.0.1:${String(listening)}`,
    get connections() {
      return connections;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    held: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

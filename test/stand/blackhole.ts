/**
 * A TCP server that accepts every connection, reads whatever arrives and never sends a byte: what a
 * firewall that drops replies, a hung load balancer or a wrong port behind a NAT looks like to a
 * client. Neither TLS nor HTTP ever starts, so only the client's own deadline can end the wait.
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Blackhole {
  /** `http://127.0.0.1:PORT` (an `--s3-endpoint` or `AWS_ENDPOINT_URL_*` value). */
  readonly url: string;
  readonly port: number;
  /** Connections accepted since start. */
  readonly connections: number;
  stop(): Promise<void>;
}

export async function startBlackhole(): Promise<Blackhole> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    port,
    get connections() {
      return connections;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * The probe server: `/healthz`, `/readyz`, `/metrics`, and nothing else. It is reachable from the
 * pod network, so it must not be a way in: GET and HEAD only, no request body, small headers,
 * short timeouts, few connections, and answers of bounded size that hold no secret.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, describeCause } from '../errors.js';
import type { Logger } from '../log.js';
import type { Readiness } from './readiness.js';

export interface ListenAddress {
  /** Absent: every interface (`:PORT`). */
  readonly host?: string;
  readonly port: number;
}

export interface ProbeHandlers {
  readiness(): Readiness;
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
}

export interface ProbeServer {
  /** `HOST:PORT` as bound. */
  readonly address: string;
  close(): Promise<void>;
}

const limits = {
  maxHeaderSize: 8 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 32,
  maxRequestsPerSocket: 100,
} as const;

/** `--listen`: `HOST:PORT`, `[IPv6]:PORT` or `:PORT`; empty turns the server off (undefined). */
export function parseListen(raw: string): ListenAddress | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(
      `--listen ${JSON.stringify(raw)} is not an address to listen on: use :PORT (every interface, e.g. :8080), ` +
        "HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080) with a port from 1 to 65535, or '' to serve no HTTP at all.",
    );
  }
  const host = match[1] ?? match[2] ?? '';
  return host === '' ? { port } : { host, port };
}

function send(response: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(body);
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

async function answer(request: IncomingMessage, response: ServerResponse, handlers: ProbeHandlers): Promise<void> {
  const method = request.method ?? '';
  if (method !== 'GET' && method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    send(response, 405, 'method not allowed: GET or HEAD\n');
    return;
  }
  if (hasBody(request)) {
    response.setHeader('Connection', 'close');
    send(response, 400, 'a probe request carries no body\n');
    return;
  }
  const path = (request.url ?? '').split('?')[0];
  switch (path) {
    case '/healthz':
      send(response, 200, 'ok\n');
      return;
    case '/readyz': {
      const { ready, reason } = handlers.readiness();
      send(response, ready ? 200 : 503, `${reason}\n`);
      return;
    }
    case '/metrics': {
      const { contentType, body } = await handlers.metrics();
      send(response, 200, body, contentType);
      return;
    }
    default:
      send(response, 404, 'not found: /healthz, /readyz, /metrics\n');
  }
}

function listenError(address: ListenAddress, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${address.host ?? ''}:${String(address.port)}`;
  const why =
    code === 'EADDRINUSE'
      ? 'the port is in use by another process'
      : code === 'EACCES'
        ? 'this user may not bind that port (ports below 1024 need privileges)'
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
          ? 'this machine has no such address'
          : describeCause(error);
  return new ConfigError(
    `Cannot listen on --listen ${where}: ${why}. Choose another --listen, or --listen '' for no HTTP.`,
    { cause: error },
  );
}

export async function serveProbes(address: ListenAddress, handlers: ProbeHandlers, log: Logger): Promise<ProbeServer> {
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
    },
    (request, response) => {
      answer(request, response, handlers).catch((error: unknown) => {
        log.error({ path: request.url, error: describeCause(error) }, 'probe request failed');
        if (!response.headersSent) send(response, 500, 'internal error\n');
        else response.destroy();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      reject(listenError(address, error));
    });
    server.listen({ port: address.port, ...(address.host === undefined ? {} : { host: address.host }) }, () => {
      resolve();
    });
  });
  server.on('error', (error) => {
    log.error({ error: describeCause(error) }, 'probe server error');
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: `${host}:${String(bound.port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

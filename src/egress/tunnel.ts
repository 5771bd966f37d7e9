/**
 * HTTP CONNECT through a forward proxy (RFC 9110 §9.3.6): a TCP connection to the proxy, one
 * CONNECT HOST:PORT, and on `200` the same socket is a byte pipe to the destination, over which the
 * caller speaks TLS itself, so the certificates it reads are still the ones the destination (or a
 * TLS-inspecting proxy) presents. Every failure names the proxy and what to check there.
 */
import { connect, type Socket } from 'node:net';
import type { Proxy } from './proxy.js';

/** A failure at the proxy; `code` is a system code (ECONNREFUSED, ETIMEDOUT, ...) or `ERR_PROXY_*`. */
export class ProxyError extends Error {
  readonly code: string;
  /** The proxy's HTTP status for a refused CONNECT. */
  readonly status: number | undefined;

  constructor(message: string, code: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ProxyError';
    this.code = code;
    this.status = options.status;
  }
}

export interface TunnelOptions {
  /** Connecting to the proxy and its answer to CONNECT, together. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

const maxHeaderBytes = 16 * 1024;

function authority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function refusal(proxy: Proxy, target: string, status: number, reason: string): ProxyError {
  const answered = `the proxy ${proxy.display} (${proxy.source}) answered ${status} ${reason} to CONNECT ${target}`;
  // 407 is the standard answer; tinyproxy says 401 to credentials it does not accept.
  if (status === 407 || status === 401) {
    return new ProxyError(
      `${answered}: it wants credentials. Put them in the proxy URL, http://USER:PASSWORD@HOST:PORT ` +
        `(${proxy.source}; percent-encode special characters), and check that they are current.`,
      'ERR_PROXY_AUTH',
      { status },
    );
  }
  if (status === 403 || status === 405) {
    return new ProxyError(
      `${answered}: its allow-list does not let this host and port through. Ask for ${target} to be allowed (squid: ` +
        'the SSL_ports/Safe_ports ACLs; tinyproxy: ConnectPort), or exempt the host with NO_PROXY if it is reachable ' +
        'directly.',
      'ERR_PROXY_REFUSED',
      { status },
    );
  }
  if (status === 502 || status === 503 || status === 504) {
    return new ProxyError(
      `${answered}: the proxy could not reach ${target} itself. Check the name and port, and that the proxy's ` +
        'network can reach it (DNS, firewall).',
      'ERR_PROXY_UPSTREAM',
      { status },
    );
  }
  return new ProxyError(`${answered}. Check the proxy's logs and its policy for ${target}.`, 'ERR_PROXY_REFUSED', {
    status,
  });
}

/** Opens a tunnel to `host:port` through `proxy`; resolves with the raw socket, ready for TLS. */
export function openTunnel(proxy: Proxy, host: string, port: number, options: TunnelOptions): Promise<Socket> {
  const target = authority(host, port);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxy.host, port: proxy.port });
    let settled = false;
    let connected = false;
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      // No byte may be lost between here and the TLS client taking the socket over.
      socket.pause();
      if (error === undefined) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      finish(
        new ProxyError(
          !connected
            ? `could not connect to the proxy ${proxy.display} (${proxy.source}) within ${options.timeoutMs} ms. ` +
                `Check that the proxy is up and that ${proxy.source} names it correctly.`
            : `the proxy ${proxy.display} (${proxy.source}) did not answer CONNECT ${target} within ` +
                `${options.timeoutMs} ms. The proxy may be overloaded or unable to reach ${target}; check its logs.`,
          'ETIMEDOUT',
        ),
      );
    }, options.timeoutMs);
    const onAbort = (): void => {
      finish(
        new ProxyError(`CONNECT ${target} through the proxy ${proxy.display} was cancelled`, 'ABORT_ERR', {
          cause: options.signal?.reason,
        }),
      );
    };
    options.signal?.addEventListener('abort', onAbort);
    if (options.signal?.aborted === true) onAbort();
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > maxHeaderBytes) {
          finish(
            new ProxyError(
              `the proxy ${proxy.display} (${proxy.source}) sent no complete answer to CONNECT ${target}; it does ` +
                'not seem to be an HTTP proxy. Check the proxy URL.',
              'ERR_PROXY_PROTOCOL',
            ),
          );
        }
        return;
      }
      const statusLine = received.subarray(0, received.indexOf('\r\n')).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (!match) {
        finish(
          new ProxyError(
            `the proxy ${proxy.display} (${proxy.source}) answered CONNECT ${target} with something that is not ` +
              'HTTP; check that the proxy URL names an HTTP proxy.',
            'ERR_PROXY_PROTOCOL',
          ),
        );
        return;
      }
      const status = Number(match[1]);
      if (status !== 200) {
        finish(refusal(proxy, target, status, (match[2] ?? '').slice(0, 80)));
        return;
      }
      const rest = received.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      finish(undefined);
    };
    socket.on('data', onData);
    socket.once('connect', () => {
      connected = true;
      const headers = [
        `CONNECT ${target} HTTP/1.1`,
        `Host: ${target}`,
        ...(proxy.authorization === undefined ? [] : [`Proxy-Authorization: ${proxy.authorization}`]),
        '',
        '',
      ];
      socket.write(headers.join('\r\n'));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'ECONNRESET';
      finish(
        new ProxyError(
          connected
            ? `the proxy ${proxy.display} (${proxy.source}) closed the connection during CONNECT ${target} ` +
                `(${code}). Check the proxy's logs.`
            : `could not connect to the proxy ${proxy.display} (${proxy.source}): ${code}. Check that the proxy is up ` +
                `and that ${proxy.source} names it correctly.`,
          code,
          { cause: error },
        ),
      );
    });
    socket.once('end', () => {
      finish(
        new ProxyError(
          `the proxy ${proxy.display} (${proxy.source}) closed the connection without answering CONNECT ${target}. ` +
            "Check the proxy's logs and its policy for that host.",
          'ECONNRESET',
        ),
      );
    });
  });
}

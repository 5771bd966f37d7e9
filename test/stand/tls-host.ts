/**
 * A static HTTPS file host on 127.0.0.1, standing in for the public web host (S3, a CDN, GitHub
 * Pages) that serves the issuer's documents, over exactly the certificate chain a test chooses.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isAbsolute, relative, resolve } from 'node:path';

export interface TlsHostOptions {
  /** Served at the root: `DIR/.well-known/openid-configuration` is `GET /.well-known/openid-configuration`. */
  readonly directory?: string;
  /**
   * Instead of a directory: pass each GET on, anonymously, to `ORIGIN/PATH` (e.g. moto's
   * `http://127.0.0.1:PORT/BUCKET`), as CloudFront does in front of a bucket.
   */
  readonly origin?: string;
  /** The leaf (a `Certificate` from certs.ts fits). */
  readonly certificate: { readonly certPem: string; readonly keyPem: string };
  /** PEMs the server sends after the leaf, in this order: intermediates, perhaps a root; [] for the leaf alone. */
  readonly presentedChain?: readonly string[];
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
}

export interface TlsHost {
  /** `https://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The two documents kube-apiserver serves, wherever they sit under a prefix. */
const documentPaths = ['/.well-known/openid-configuration', '/openid/v1/jwks'];

export async function startTlsHost(options: TlsHostOptions): Promise<TlsHost> {
  const { origin } = options;
  const directory = resolve(options.directory ?? '.');
  if ((options.directory === undefined) === (origin === undefined))
    throw new Error('startTlsHost: give a directory or an origin');
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer(
    {
      key: options.certificate.keyPem,
      cert: [options.certificate.certPem, ...(options.presentedChain ?? [])].map((pem) => `${pem.trim()}\n`).join(''),
      // An empty CA list, not the default one: with no chain configured, OpenSSL would otherwise
      // complete the chain from the trust store (system roots plus NODE_EXTRA_CA_CERTS) and present
      // certificates the test never asked for.
      ca: [],
    },
    (request, response) => {
      const reply =
        origin === undefined
          ? serve(directory, request.method ?? 'GET', request.url ?? '/')
          : forward(origin, request.url ?? '/');
      void reply.then(({ status, headers, body }) => {
        response.writeHead(status, headers);
        response.end(request.method === 'HEAD' ? undefined : body);
      });
    },
  );
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => {
          resolveClose();
        });
        server.closeAllConnections();
      }),
  };
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer | string;
}

async function serve(directory: string, method: string, rawUrl: string): Promise<Reply> {
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' }, body: 'method not allowed\n' };
  }
  const notFound: Reply = { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found\n' };
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(rawUrl, 'https://host').pathname);
  } catch {
    return notFound;
  }
  const file = resolve(directory, `.${pathname}`);
  const inside = relative(directory, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return notFound;
  try {
    if (!(await stat(file)).isFile()) return notFound;
    const body = await readFile(file);
    const json = documentPaths.some((path) => pathname.endsWith(path)) || pathname.endsWith('.json');
    return {
      status: 200,
      headers: {
        'content-type': json ? 'application/json' : 'application/octet-stream',
        'content-length': String(body.length),
      },
      body,
    };
  } catch {
    return notFound;
  }
}

async function forward(origin: string, rawUrl: string): Promise<Reply> {
  const response = await fetch(`${origin}${new URL(rawUrl, 'https://host').pathname}`);
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'cache-control', 'etag']) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

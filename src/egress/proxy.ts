/**
 * One egress configuration for every outbound connection this tool makes (S3, IAM, STS, the
 * thumbprint probe, verify's anonymous GETs, the API server from a kubeconfig without its own
 * proxy-url): which proxy, if any, carries a connection to HOST:PORT, and which extra CA (PEM) the
 * TLS clients trust on top of Node's own store. Built once from flags and environment at the edge.
 */
import { ConfigError } from '../errors.js';
import { bypassesProxy, parseNoProxy, type NoProxyRule } from './no-proxy.js';

/** A forward proxy, as given: http://[USER:PASSWORD@]HOST[:PORT]. */
export interface Proxy {
  readonly host: string;
  readonly port: number;
  /** `Basic BASE64(user:password)` when the URL carries credentials; never printed. */
  readonly authorization?: string;
  /** `http://HOST:PORT`, without credentials: what messages and logs name. */
  readonly display: string;
  /** Where it was configured, for messages: `--proxy`, `HTTPS_PROXY`, ... */
  readonly source: string;
}

export interface Egress {
  /** For https:// destinations (HTTPS_PROXY or --proxy); absent: direct. */
  readonly https?: Proxy;
  /** For plain http:// destinations (HTTP_PROXY or --proxy), e.g. an S3-compatible store over HTTP. */
  readonly http?: Proxy;
  readonly noProxy: readonly NoProxyRule[];
  /** Extra CA certificates (PEM) trusted for outbound TLS, on top of Node's store; never for the thumbprint. */
  readonly ca?: string;
}

export const directEgress: Egress = { noProxy: [] };

/** Parses a proxy URL; a bare HOST:PORT is taken as http:// as curl and Go do. */
export function parseProxy(raw: string, source: string): Proxy {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new ConfigError(
      `${source} is not a proxy URL (the value is not shown: it may hold a password); expected ` +
        'http://HOST:PORT, or http://USER:PASSWORD@HOST:PORT with credentials.',
    );
  }
  if (url.protocol !== 'http:') {
    throw new ConfigError(
      `${source} uses ${url.protocol.replace(':', '')}://; this tool speaks HTTP CONNECT to a proxy at http://HOST:PORT ` +
        '(a TLS connection to the proxy itself, or SOCKS, is not supported).',
    );
  }
  if (url.hostname === '') throw new ConfigError(`${source} names no proxy host; expected http://HOST:PORT.`);
  const port = url.port === '' ? 80 : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const display = `http://${url.host}`;
  return {
    host,
    port,
    display,
    source,
    ...(user === '' && password === ''
      ? {}
      : { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }),
  };
}

function firstSet(env: NodeJS.ProcessEnv, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return { name, value };
  }
  return undefined;
}

export interface EgressSettings {
  /** `--proxy` / IRSA_ISSUER_PROXY: for every destination, over HTTPS_PROXY and HTTP_PROXY. `''` turns the proxy off. */
  readonly proxy?: string;
  /** The extra CA (PEM) of `--ca-file`. */
  readonly ca?: string;
}

/**
 * `--proxy` wins over the environment; otherwise HTTPS_PROXY (or https_proxy) for https://
 * destinations and HTTP_PROXY (or http_proxy) for http:// ones, upper case first, as Go reads them.
 * NO_PROXY (or no_proxy) exempts hosts either way.
 */
export function egressFrom(settings: EgressSettings, env: NodeJS.ProcessEnv): Egress {
  const noProxy = parseNoProxy(firstSet(env, ['NO_PROXY', 'no_proxy'])?.value);
  const ca = settings.ca === undefined ? {} : { ca: settings.ca };
  if (settings.proxy !== undefined) {
    if (settings.proxy.trim() === '') return { noProxy, ...ca };
    const proxy = parseProxy(settings.proxy, '--proxy');
    return { https: proxy, http: proxy, noProxy, ...ca };
  }
  const https = firstSet(env, ['HTTPS_PROXY', 'https_proxy']);
  const http = firstSet(env, ['HTTP_PROXY', 'http_proxy']);
  return {
    ...(https === undefined ? {} : { https: parseProxy(https.value, https.name) }),
    ...(http === undefined ? {} : { http: parseProxy(http.value, http.name) }),
    noProxy,
    ...ca,
  };
}

/** The proxy that carries a connection to `host:port`, or undefined for a direct one. */
export function proxyFor(egress: Egress, protocol: 'https' | 'http', host: string, port: number): Proxy | undefined {
  const proxy = protocol === 'https' ? egress.https : egress.http;
  if (proxy === undefined || bypassesProxy(egress.noProxy, host, port)) return undefined;
  return proxy;
}

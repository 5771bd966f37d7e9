/**
 * The TLS probe behind the IAM thumbprint: connect to the host of the `jwks_uri`, read the chain the
 * server presents, hash its last certificate, and say whether Node's trust store accepts the chain.
 */
import { isIP } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { openTunnel, proxyFor, type Egress, type Proxy } from '../egress/index.js';
import { ConfigError, ThumbprintError, TlsInspectionError, describeCause } from '../errors.js';
import { classifyNetworkError, systemCode } from '../network.js';
import { chainsToRoot, publicRoots } from './inspection.js';
import { describeCertificate, readPresentedChain, sha1Hex, type PresentedCertificate } from './presented-chain.js';

export interface ProbeTarget {
  /** DNS name or IP literal (IPv6 with or without brackets). */
  readonly host: string;
  /** Default 443, the only port STS fetches from. */
  readonly port?: number;
  /** SNI name; defaults to `host`, and is never sent for an IP literal (RFC 6066). */
  readonly servername?: string;
}

export interface ProbeOptions {
  /** Budget for DNS, TCP connect and TLS handshake together. Default 10 000. */
  readonly timeoutMs?: number;
  /**
   * PEM CA certificates to judge `trusted` against instead of Node's default set (system store plus
   * NODE_EXTRA_CA_CERTS). It never changes the thumbprint, which depends on the server alone.
   */
  readonly ca?: string | readonly string[];
  /**
   * The route: through HTTPS_PROXY (unless NO_PROXY exempts the host) by HTTP CONNECT, then TLS to
   * the host. Its extra CA is never used here: trust is `ca`'s question, and the thumbprint the server's.
   */
  readonly egress?: Egress;
  /**
   * Through a proxy, a chain is taken as the host's own only when it links to one of these roots
   * (PEM); Node's bundled roots when omitted. Tests name their own CA here.
   */
  readonly publicRoots?: readonly string[];
}

export interface ThumbprintProbe {
  readonly host: string;
  readonly port: number;
  /** The SNI name sent; absent for an IP literal. */
  readonly servername?: string;
  /** SHA-1 of the last certificate the server presented, 40 lower-case hex: what IAM wants. */
  readonly thumbprint: string;
  /** As presented, leaf first; the thumbprint is of the last entry. */
  readonly chain: readonly PresentedCertificate[];
  /** The chain verifies against the trust store and the leaf matches the name we asked for. */
  readonly trusted: boolean;
  /** Node's verdict when not trusted: SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID, ... */
  readonly trustError?: string;
  /** The leaf is valid for the SNI name (or the IP), whether or not the chain is trusted. */
  readonly hostnameMatches: boolean;
  /** Negotiated protocol, e.g. TLSv1.3. */
  readonly protocol?: string;
}

const defaultProbeTimeoutMs = 10_000;

export async function probeThumbprint(target: ProbeTarget, options: ProbeOptions = {}): Promise<ThumbprintProbe> {
  const host = target.host.replace(/^\[(.*)\]$/, '$1');
  const port = target.port ?? 443;
  const timeoutMs = options.timeoutMs ?? defaultProbeTimeoutMs;
  if (host === '')
    throw new ConfigError('The thumbprint probe was given an empty host; pass the host of the jwks_uri.');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigError(`The port ${String(port)} for ${host} is not a TCP port (1-65535); STS fetches over 443.`);
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError(`The probe timeout ${String(timeoutMs)} ms is not a positive number of milliseconds.`);
  }
  const sni = target.servername ?? host;
  const servername = isIP(sni) === 0 ? sni : undefined;
  const where = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;

  const connection: ConnectionOptions = {
    host,
    port,
    // We judge trust ourselves from the verdict below, so an untrusted chain still yields a thumbprint.
    rejectUnauthorized: false,
    ...(servername === undefined ? {} : { servername }),
    ...(options.ca === undefined ? {} : { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] }),
  };

  const proxy = options.egress === undefined ? undefined : proxyFor(options.egress, 'https', host, port);
  const endpoint: Endpoint = { host, port, servername, where, proxy, publicRoots: options.publicRoots ?? publicRoots };
  const abort = new AbortController();
  return new Promise<ThumbprintProbe>((resolve, reject) => {
    let socket: TLSSocket | undefined;
    let settled = false;
    const timer = setTimeout(() => {
      settle(() => {
        reject(
          socket === undefined && proxy !== undefined
            ? new ThumbprintError(
                `Could not open a tunnel to ${where} through the proxy ${proxy.display} (${proxy.source}) within ` +
                  `${timeoutMs} ms. Check that the proxy is up and can reach ${where}, or exempt the host with NO_PROXY.`,
              )
            : timeoutError(where, timeoutMs, socket?.connecting ?? true),
        );
      });
    }, timeoutMs);
    function settle(outcome: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        outcome();
      } finally {
        socket?.destroy();
        abort.abort();
      }
    }
    function handshake(tlsSocket: TLSSocket): void {
      socket = tlsSocket;
      tlsSocket.once('secureConnect', () => {
        settle(() => {
          try {
            resolve(describeHandshake(tlsSocket, endpoint));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      });
      // `on`, not `once`: a late second error after we settled must not become an uncaught exception.
      tlsSocket.on('error', (error: Error) => {
        settle(() => {
          reject(connectionError(error, where, host));
        });
      });
    }
    if (proxy === undefined) {
      handshake(connect(connection));
      return;
    }
    openTunnel(proxy, host, port, { timeoutMs, signal: abort.signal }).then(
      (raw) => {
        if (settled) raw.destroy();
        else handshake(connect({ ...connection, socket: raw }));
      },
      (error: unknown) => {
        settle(() => {
          reject(connectionError(error instanceof Error ? error : new Error(String(error)), where, host));
        });
      },
    );
  });
}

/** Probe the host (and port, else 443) of an https:// URL such as the discovery document's `jwks_uri`. */
export async function thumbprintFromUrl(url: string, options: ProbeOptions = {}): Promise<ThumbprintProbe> {
  return probeThumbprint(targetFromUrl(url), options);
}

export function targetFromUrl(raw: string): ProbeTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `${JSON.stringify(raw)} is not a URL; pass the https:// URL of the jwks_uri (or the issuer).`,
    );
  }
  if (url.protocol !== 'https:') {
    throw new ConfigError(
      `${raw} uses ${url.protocol.replace(':', '')}://; a thumbprint is of an HTTPS server's certificate, and STS ` +
        `fetches over https:// only.`,
    );
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 443 : Number(url.port) };
}

interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly servername: string | undefined;
  readonly where: string;
  readonly proxy: Proxy | undefined;
  readonly publicRoots: readonly string[];
}

function describeHandshake(socket: TLSSocket, endpoint: Endpoint): ThumbprintProbe {
  const presented = readPresentedChain(socket);
  const leaf = presented?.[0];
  const last = presented?.at(-1);
  if (!presented || !leaf || !last) {
    throw new ThumbprintError(
      `${endpoint.where} completed a TLS handshake, but Node ${process.version} did not hand back the certificate ` +
        `chain as the server presented it, so the thumbprint cannot be computed reliably here. Read it with "openssl ` +
        `s_client -connect ${endpoint.where} -servername ${endpoint.host} -showcerts </dev/null" (the last ` +
        `certificate printed) and pass it with --thumbprint.`,
    );
  }
  const hostnameMatches =
    endpoint.servername === undefined
      ? leaf.checkIP(endpoint.host) !== undefined
      : leaf.checkHost(endpoint.servername) !== undefined;
  if (endpoint.proxy !== undefined && !(hostnameMatches && chainsToRoot(presented, endpoint.publicRoots))) {
    throw inspectionError(endpoint, endpoint.proxy, last.issuer.split('\n').filter(Boolean).join(', '));
  }
  const protocol = socket.getProtocol();
  const trustError = socket.authorized ? undefined : verdict(socket.authorizationError);
  return {
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoint.servername === undefined ? {} : { servername: endpoint.servername }),
    thumbprint: sha1Hex(last),
    chain: presented.map(describeCertificate),
    trusted: socket.authorized,
    ...(trustError === undefined ? {} : { trustError }),
    hostnameMatches,
    ...(protocol === null ? {} : { protocol }),
  };
}

/** Node documents `authorizationError` as an Error, but sets the OpenSSL code as a string. */
function verdict(error: unknown): string {
  if (typeof error === 'string' && error !== '') return error;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.message;
  }
  return 'UNSPECIFIED';
}

function timeoutError(where: string, timeoutMs: number, stillConnecting: boolean): ThumbprintError {
  return stillConnecting
    ? new ThumbprintError(
        `Could not connect to ${where} within ${timeoutMs} ms: no TCP connection was established (slow DNS, a ` +
          `firewall dropping packets, or a wrong address). Check that the host resolves to the server and that the ` +
          `port is reachable from here.`,
      )
    : new ThumbprintError(
        `${where} accepted a TCP connection but did not complete a TLS handshake within ${timeoutMs} ms: it does not ` +
          `seem to speak TLS on that port, or is overloaded. Check the port (STS fetches over HTTPS on 443) and try ` +
          `"openssl s_client -connect ${where}".`,
      );
}

function inspectionError(endpoint: Endpoint, proxy: Proxy, lastIssuer: string): TlsInspectionError {
  const { where, host } = endpoint;
  return new TlsInspectionError(
    `Through the proxy ${proxy.display} (${proxy.source}), ${where} presented a chain that does not lead to a ` +
      `publicly trusted CA (its last certificate is issued by ${lastIssuer}): either the proxy inspects TLS and ` +
      `presented a chain of its own, or the host uses a private CA; from behind the proxy the two look the same. ` +
      `STS sees the host's real chain, so this thumbprint could lock every workload out, and irsa-issuer will not ` +
      `use it. Pin the thumbprint instead (--thumbprint; read it where the host is reached directly: openssl ` +
      `s_client -connect ${where} -servername ${host} -showcerts, the last certificate), or have ${host} exempted ` +
      `from inspection, or reach it directly with NO_PROXY=${host}.`,
  );
}

function connectionError(error: Error, where: string, host: string): ThumbprintError {
  const code = systemCode(error) ?? describeCause(error);
  const cause = describeCause(error);
  const failure = classifyNetworkError(error);
  if (failure === 'proxy') {
    return new ThumbprintError(
      `Probing ${where} for its TLS certificate went through a proxy, which failed: ${cause}`,
      {
        cause: error,
      },
    );
  }
  if (failure === 'refused') {
    return new ThumbprintError(
      `Connection to ${where} was refused: nothing listens on that port. Check the host and port of the jwks_uri ` +
        `(STS always uses 443) and that the server is running.`,
      { cause: error },
    );
  }
  if (failure === 'dns') {
    return new ThumbprintError(
      `Could not resolve ${host} (probing ${where}): ${code}. Check the spelling of the jwks_uri host and that DNS ` +
        `works from here; STS must be able to resolve it publicly too.`,
      { cause: error },
    );
  }
  if (failure === 'unreachable' || failure === 'timeout') {
    return new ThumbprintError(
      `Could not reach ${where}: ${code}. Check routing and firewalls between here and the server.`,
      {
        cause: error,
      },
    );
  }
  if (failure === 'reset') {
    return new ThumbprintError(
      `${where} closed the connection during the TLS handshake (${cause}). It may not serve TLS on that port, or may ` +
        `refuse our SNI name or TLS version; check with "openssl s_client -connect ${where} -servername ${host}".`,
      { cause: error },
    );
  }
  if (failure === 'tls') {
    const reason = (error as { reason?: unknown }).reason;
    return new ThumbprintError(
      `The TLS handshake with ${where} failed: ${typeof reason === 'string' ? reason : cause}. The port may serve ` +
        `plain HTTP or another protocol, or the server's TLS configuration is broken; check with "openssl s_client ` +
        `-connect ${where} -servername ${host}".`,
      { cause: error },
    );
  }
  return new ThumbprintError(`Probing ${where} for its TLS certificate failed: ${cause}.`, { cause: error });
}

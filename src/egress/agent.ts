/**
 * The HTTP(S) agents every outbound request of ours goes through: the AWS SDK's (which ignores
 * HTTPS_PROXY), verify's anonymous GETs, and the API server from a kubeconfig without a proxy-url.
 * Per destination they decide proxy or direct (NO_PROXY); through a proxy, https:// goes by CONNECT
 * and TLS end to end, plain http:// by absolute-form requests to the proxy (what HTTP proxies expect
 * for http:, and what their port allow-lists permit).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { proxyFor, type Egress } from './proxy.js';
import { trustedCas } from './trust.js';
import { openTunnel } from './tunnel.js';

/**
 * Connecting to a proxy and its answer to CONNECT, as long as the SDK gives a TCP connect: a proxy
 * that does not answer is named in the error before a stage's own deadline (60 s) ends the run.
 */
const defaultTunnelTimeoutMs = 5_000;

export interface EgressAgentOptions {
  /** How long connecting to the proxy plus CONNECT may take. */
  readonly connectTimeoutMs?: number;
  /** Keep connections for reuse (the SDK's default); off for one-shot GETs. */
  readonly keepAlive?: boolean;
  /**
   * Add the egress CA to the agent's trust (AWS, public GETs). Off for the API server, whose trust the
   * kubeconfig names (agent options override a request's own `ca`).
   */
  readonly withCa?: boolean;
}

type ConnectionArgs = http.ClientRequestArgs & tls.ConnectionOptions;
type Callback = (error: Error | null, stream: Duplex) => void;

function portOf(options: http.ClientRequestArgs, fallback: number): number {
  const port = Number(options.port);
  return Number.isInteger(port) && port > 0 ? port : fallback;
}

export class EgressHttpsAgent extends https.Agent {
  readonly #egress: Egress;
  readonly #tunnelTimeoutMs: number;

  constructor(egress: Egress, options: EgressAgentOptions = {}) {
    super({
      keepAlive: options.keepAlive ?? true,
      ...(options.withCa === true && egress.ca !== undefined ? { ca: trustedCas(egress.ca) } : {}),
    });
    this.#egress = egress;
    this.#tunnelTimeoutMs = options.connectTimeoutMs ?? defaultTunnelTimeoutMs;
  }

  override createConnection(args: http.ClientRequestArgs, callback?: Callback): Duplex | null | undefined {
    const options = args as ConnectionArgs;
    const host = (options.host ?? options.hostname ?? 'localhost').replace(/^\[(.*)\]$/, '$1');
    const port = portOf(options, 443);
    const proxy = proxyFor(this.#egress, 'https', host, port);
    if (proxy === undefined) return super.createConnection(args, callback);
    const signal = options.signal ?? undefined;
    openTunnel(proxy, host, port, { timeoutMs: this.#tunnelTimeoutMs, signal }).then(
      (socket) => {
        callback?.(null, tls.connect({ ...options, socket }));
      },
      (error: unknown) => {
        callback?.(error instanceof Error ? error : new Error(String(error)), undefined as unknown as Duplex);
      },
    );
    return undefined;
  }
}

interface ProxiedRequest {
  path: string;
  shouldKeepAlive: boolean;
  setHeader(name: string, value: string): unknown;
}

export class EgressHttpAgent extends http.Agent {
  readonly #egress: Egress;

  constructor(egress: Egress, options: EgressAgentOptions = {}) {
    super({ keepAlive: options.keepAlive ?? true });
    this.#egress = egress;
  }

  /** Node's hook between a request and its socket (undocumented in the types, stable since 0.x). */
  addRequest(request: ProxiedRequest, args: http.ClientRequestArgs): void {
    const host = (args.host ?? args.hostname ?? 'localhost').replace(/^\[(.*)\]$/, '$1');
    const port = portOf(args, 80);
    const proxy = proxyFor(this.#egress, 'http', host, port);
    const parent = http.Agent.prototype as unknown as {
      addRequest(this: http.Agent, request: ProxiedRequest, args: http.ClientRequestArgs): void;
    };
    if (proxy === undefined) {
      parent.addRequest.call(this, request, args);
      return;
    }
    request.path = `http://${host.includes(':') ? `[${host}]` : host}:${port}${request.path}`;
    if (proxy.authorization !== undefined) request.setHeader('proxy-authorization', proxy.authorization);
    // Proxies differ in how they keep a client connection alive across absolute-form requests
    // (tinyproxy leaves a reused one unanswered): one request per connection, as curl does by default.
    request.shouldKeepAlive = false;
    request.setHeader('connection', 'close');
    parent.addRequest.call(this, request, { ...args, host: proxy.host, hostname: proxy.host, port: proxy.port });
  }
}

export interface EgressAgents {
  readonly httpsAgent: EgressHttpsAgent;
  readonly httpAgent: EgressHttpAgent;
}

export function egressAgents(egress: Egress, options: EgressAgentOptions = {}): EgressAgents {
  return {
    httpsAgent: new EgressHttpsAgent(egress, { withCa: true, ...options }),
    httpAgent: new EgressHttpAgent(egress, options),
  };
}

/**
 * A fault-injecting reverse proxy on loopback, put between the CLI and a real upstream (moto_server,
 * the kube-apiserver stand-in) so a test can make one chosen request fail the way networks and AWS
 * fail: an AWS-shaped error, a delay, a drip of one byte a second, silence, a socket closed mid-answer,
 * a body that echoes the request's headers, or an endless one. Everything else passes through
 * untouched, so the faults hit the client's real parsing, retries and deadlines.
 *
 * HTTP or HTTPS on the client side; HTTP or HTTPS (trusting a given CA) upstream. In front of the API
 * server stand-in, serve the stand's own certificate chain: the kubeconfig's CA then trusts the
 * proxy too, and only its `server` changes.
 */
import { once } from 'node:events';
import {
  request as httpRequest,
  createServer as createHttpServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  awsActionOf,
  matches,
  selected,
  type FaultAction,
  type FaultRule,
  type ProxiedRequest,
} from './fault-rules.js';

export type { FaultAction, FaultRule, ProxiedRequest } from './fault-rules.js';

export interface FaultProxyOptions {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly upstream: string;
  /** The CA (PEM) an HTTPS upstream's chain is verified against. */
  readonly upstreamCa?: string;
  /** Serve HTTPS with this leaf, followed by `chain` (intermediates) in the handshake. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string; readonly chain?: readonly string[] };
}

export interface FaultProxy {
  /** `http(s)://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  /** Every request since start (or the last reset), oldest first. */
  readonly requests: readonly ProxiedRequest[];
  /** Adds a rule after the ones already there; the first rule that acts on a request wins. */
  inject(rule: FaultRule): void;
  /** How many requests the named rule has acted on. */
  hits(name: string): number;
  /** Resolves once the named rule has acted on `count` requests; rejects after `timeoutMs` (default 30 s). */
  waitForHit(name: string, count?: number, timeoutMs?: number): Promise<void>;
  /** Opens a gate: every request held at it, and every later one, goes on to the upstream. */
  release(gate: string): void;
  /** Drops every rule, closes every gate and empties the request log; requests already held stay held. */
  reset(): void;
  /** Closes the listener and every connection, cancels every held request. */
  stop(): Promise<void>;
}

interface RuleState {
  readonly rule: FaultRule;
  matched: number;
  hits: number;
  readonly waiters: { count: number; resolve: () => void }[];
}

interface Upstream {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly response: IncomingMessage;
}

/** Headers that describe one connection or one framing, not the message. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'expect',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
]);

function withoutHopByHop(headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name)) kept[name] = value;
  }
  return kept;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Waits for the socket to take more, or for the client to go away. */
async function drained(response: ServerResponse): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}

const spaces = Buffer.alloc(64 * 1024, 0x20);

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const rules: RuleState[] = [];
  let requests: ProxiedRequest[] = [];
  const lifetime = new AbortController();
  const upstreamRequests = new Set<ReturnType<typeof httpRequest>>();
  const gates = new Map<string, { open: boolean; readonly waiting: Set<() => void> }>();
  const gate = (name: string) => {
    const existing = gates.get(name);
    if (existing !== undefined) return existing;
    const created = { open: false, waiting: new Set<() => void>() };
    gates.set(name, created);
    return created;
  };

  const sendUpstream = (incoming: IncomingMessage, body: Buffer, record: ProxiedRequest): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      // The client's Host header goes on unchanged: SigV4 signs it, and moto checks signatures.
      const headers = withoutHopByHop(incoming.headers);
      headers['content-length'] = String(body.length);
      const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
      const outgoing = send({
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers,
        agent: false,
        ...(options.upstreamCa === undefined ? {} : { ca: options.upstreamCa }),
      });
      upstreamRequests.add(outgoing);
      outgoing.once('close', () => upstreamRequests.delete(outgoing));
      outgoing.once('error', reject);
      outgoing.once('response', (response) => {
        const status = response.statusCode ?? 502;
        record.upstreamStatus = status;
        resolve({ status, headers: withoutHopByHop(response.headers), response });
      });
      outgoing.end(body);
    });

  const buffered = async (incoming: IncomingMessage, body: Buffer, record: ProxiedRequest) => {
    const answer = await sendUpstream(incoming, body, record);
    const content = await readAll(answer.response);
    return { ...answer, body: content, headers: { ...answer.headers, 'content-length': String(content.length) } };
  };

  const act = async (
    action: FaultAction,
    incoming: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    record: ProxiedRequest,
    signal: AbortSignal,
  ): Promise<void> => {
    switch (action.kind) {
      case 'respond': {
        const { status, contentType, body: content, headers } = action.response;
        response.writeHead(status, {
          ...headers,
          'content-type': contentType,
          'content-length': String(Buffer.byteLength(content)),
        });
        response.end(content);
        return;
      }
      case 'delay':
        await sleep(action.ms, undefined, { signal });
        await forward(incoming, response, body, record);
        return;
      case 'hold': {
        const held = gate(action.gate);
        if (!held.open) {
          await new Promise<void>((resolve, reject) => {
            const opened = () => {
              signal.removeEventListener('abort', abandoned);
              resolve();
            };
            const abandoned = () => {
              held.waiting.delete(opened);
              reject(signal.reason as Error);
            };
            if (signal.aborted) {
              reject(signal.reason as Error);
              return;
            }
            held.waiting.add(opened);
            signal.addEventListener('abort', abandoned, { once: true });
          });
        }
        await forward(incoming, response, body, record);
        return;
      }
      case 'drip': {
        const answer = await buffered(incoming, body, record);
        response.writeHead(answer.status, answer.headers);
        for (const byte of answer.body) {
          await sleep(action.intervalMs ?? 1000, undefined, { signal });
          response.write(Buffer.of(byte));
        }
        response.end();
        return;
      }
      case 'blackhole':
        // Held until the client gives up or the proxy stops; `signal` fires on either.
        if (!signal.aborted) await once(signal, 'abort');
        return;
      case 'close': {
        const answer = action.forward === false ? undefined : await buffered(incoming, body, record);
        if (answer === undefined || answer.body.length === 0) {
          response.socket?.destroy();
          return;
        }
        response.writeHead(answer.status, answer.headers);
        // end(), not destroy(): a reset could discard the half the client has not read yet.
        response.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => response.socket?.end());
        return;
      }
      case 'echo-headers': {
        const only = action.only?.map((name) => name.toLowerCase());
        const lines: string[] =
          only === undefined ? [`request received by ${incoming.method ?? 'GET'} ${incoming.url ?? '/'}`] : [];
        for (let index = 0; index < incoming.rawHeaders.length; index += 2) {
          const name = incoming.rawHeaders[index] ?? '';
          if (only === undefined || only.includes(name.toLowerCase()))
            lines.push(`${name}: ${incoming.rawHeaders[index + 1] ?? ''}`);
        }
        const content = `${lines.join('\n')}\n`;
        response.writeHead(action.status ?? 200, {
          'content-type': action.contentType ?? 'text/plain; charset=utf-8',
          'content-length': String(Buffer.byteLength(content)),
        });
        response.end(content);
        return;
      }
      case 'oversized': {
        const answer = action.aroundUpstream === true ? await buffered(incoming, body, record) : undefined;
        const tail = answer?.body ?? Buffer.alloc(0);
        const contentType =
          action.contentType ??
          (typeof answer?.headers['content-type'] === 'string'
            ? answer.headers['content-type']
            : 'application/octet-stream');
        response.writeHead(answer?.status ?? 200, {
          'content-type': contentType,
          ...(action.declareLength === true ? { 'content-length': String(Math.max(action.bytes, tail.length)) } : {}),
        });
        let remaining = action.bytes - tail.length;
        while (remaining > 0 && !response.destroyed && !signal.aborted) {
          const piece = remaining >= spaces.length ? spaces : spaces.subarray(0, remaining);
          remaining -= piece.length;
          if (!response.write(piece)) await drained(response);
        }
        if (!response.destroyed) response.end(tail);
        return;
      }
    }
  };

  const forward = async (
    incoming: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    record: ProxiedRequest,
  ): Promise<void> => {
    if (response.destroyed) return;
    const answer = await sendUpstream(incoming, body, record);
    response.writeHead(answer.status, answer.headers);
    answer.response.pipe(response);
    await once(answer.response, 'end');
  };

  const handle = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    const body = await readAll(incoming);
    const awsAction = awsActionOf(url.searchParams, body, incoming.headers['content-type']);
    const candidate: ProxiedRequest = {
      method: (incoming.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.search.slice(1),
      ...(awsAction === undefined ? {} : { awsAction }),
      status: 0,
      receivedAt: performance.now(),
    };
    let acting: RuleState | undefined;
    for (const state of rules) {
      if (!matches(state.rule, candidate, body)) continue;
      state.matched += 1;
      if (selected(state.rule, state.matched)) {
        acting = state;
        break;
      }
    }
    const record: ProxiedRequest = acting === undefined ? candidate : { ...candidate, fault: acting.rule.name };
    requests.push(record);
    response.once('finish', () => {
      record.status = response.statusCode;
      record.answeredAt = performance.now();
    });
    // One signal for "stop waiting": the client went away, or the proxy is stopping.
    const clientGone = new AbortController();
    response.once('close', () => {
      clientGone.abort();
    });
    const signal = AbortSignal.any([clientGone.signal, lifetime.signal]);
    if (acting === undefined) {
      await forward(incoming, response, body, record);
      return;
    }
    acting.hits += 1;
    const { hits, waiters } = acting;
    for (const waiter of waiters.filter((pending) => pending.count <= hits)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    await act(acting.rule.action, incoming, response, body, record, signal);
  };

  const onRequest = (incoming: IncomingMessage, response: ServerResponse): void => {
    handle(incoming, response).catch((error: unknown) => {
      // A held request cancelled by its client or by stop(), or an upstream that failed: cut the client off.
      if (
        !response.headersSent &&
        !response.destroyed &&
        !lifetime.signal.aborted &&
        !(error instanceof Error && error.name === 'AbortError')
      ) {
        const message = `fault proxy: upstream ${upstream.host} failed: ${error instanceof Error ? error.message : String(error)}\n`;
        response.writeHead(502, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(message)) });
        response.end(message);
        return;
      }
      response.destroy();
    });
  };

  const server: Server =
    options.tls === undefined
      ? createHttpServer(onRequest)
      : createHttpsServer(
          {
            key: options.tls.keyPem,
            cert: [options.tls.certPem, ...(options.tls.chain ?? [])].map((pem) => `${pem.trim()}\n`).join(''),
          },
          onRequest,
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const ruleNamed = (name: string): RuleState => {
    const state = rules.find((candidate) => candidate.rule.name === name);
    if (state === undefined) throw new Error(`fault proxy: no rule named ${name}`);
    return state;
  };

  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${String(port)}`,
    get requests() {
      return [...requests];
    },
    inject(rule) {
      if (rules.some((state) => state.rule.name === rule.name))
        throw new Error(`fault proxy: a rule named ${rule.name} exists already`);
      rules.push({ rule, matched: 0, hits: 0, waiters: [] });
    },
    hits: (name) => ruleNamed(name).hits,
    waitForHit(name, count = 1, timeoutMs = 30_000) {
      const state = ruleNamed(name);
      if (state.hits >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `fault proxy: rule ${name} acted ${String(state.hits)} time(s), not ${String(count)}, within ${String(timeoutMs)} ms`,
            ),
          );
        }, timeoutMs);
        state.waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    release(name) {
      const opened = gate(name);
      opened.open = true;
      for (const resume of opened.waiting) resume();
      opened.waiting.clear();
    },
    reset() {
      gates.clear();
      rules.length = 0;
      requests = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        lifetime.abort();
        for (const outgoing of upstreamRequests) outgoing.destroy();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

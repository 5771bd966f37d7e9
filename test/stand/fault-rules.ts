/**
 * The fault proxy's vocabulary: which requests a rule matches (method, path, query, body, AWS
 * query Action, the nth match) and what it does to them, and the record kept of every request.
 */
import type { CannedResponse } from './fault-responses.js';

export type FaultAction =
  /** Answer this instead of forwarding (see fault-responses.ts for AWS and Kubernetes shapes). */
  | { readonly kind: 'respond'; readonly response: CannedResponse }
  /** Wait, then forward; a request whose client left meanwhile is dropped, as nginx drops it. */
  | { readonly kind: 'delay'; readonly ms: number }
  /**
   * Hold until the test opens `gate` (`release`), then forward; once open, the gate stays open. With
   * `waitForHit`, this lines up two clients at the same step: the only way to make a race certain.
   */
  | { readonly kind: 'hold'; readonly gate: string }
  /** Forward, then deliver the upstream's answer one byte per `intervalMs` (default 1000). */
  | { readonly kind: 'drip'; readonly intervalMs?: number }
  /** Read the request and never answer. */
  | { readonly kind: 'blackhole' }
  /**
   * Forward (unless `forward: false`), then send the status, headers and half of the body and
   * destroy the socket; with an empty body, destroy it without a byte: the upstream acted, the
   * client never learns it.
   */
  | { readonly kind: 'close'; readonly forward?: boolean }
  /**
   * A 2xx non-JSON body quoting the request headers, Authorization included, as a broken proxy or a
   * debugging endpoint does: every header after a request line, or only the `only` ones, bare.
   */
  | {
      readonly kind: 'echo-headers';
      readonly status?: number;
      readonly contentType?: string;
      readonly only?: readonly string[];
    }
  /**
   * Stream `bytes` bytes without holding them: spaces, ending with the upstream's real answer when
   * `aroundUpstream` (so JSON stays valid, only huge). No Content-Length unless `declareLength`,
   * so a client can only protect itself by capping what it reads.
   */
  | {
      readonly kind: 'oversized';
      readonly bytes: number;
      readonly aroundUpstream?: boolean;
      readonly contentType?: string;
      readonly declareLength?: boolean;
    };

export interface FaultRule {
  /** Names the rule in hit counts and in the request log. */
  readonly name: string;
  readonly method?: string;
  /** Tested against the path, without the query. */
  readonly path?: RegExp;
  /** Tested against the raw query string, without `?` (the SDK's S3 calls carry `x-id=GetObject`). */
  readonly query?: RegExp;
  /** Tested against the request body as UTF-8. */
  readonly body?: RegExp;
  /** An AWS query-protocol `Action` (IAM, STS), from the form body or the query string. */
  readonly awsAction?: string;
  /**
   * Which of the requests this rule matches it acts on, counting from 1 (`1`: only the first, so
   * a retry gets through); every one when omitted.
   */
  readonly nth?: number | readonly number[];
  readonly action: FaultAction;
}

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly awsAction?: string;
  /** The rule that acted on this request. */
  readonly fault?: string;
  /** What the client received: the HTTP status of a complete answer, else 0 (silence, a cut, a client that left). */
  status: number;
  /** The upstream's status when the request reached it; absent when it never did. */
  upstreamStatus?: number;
  /** When the proxy had read the whole request, and when it had sent the whole answer (performance.now()). */
  readonly receivedAt?: number;
  answeredAt?: number;
}

/** IAM and STS put `Action=…` in a form body (POST) or the query string (GET). */
export function awsActionOf(query: URLSearchParams, body: Buffer, contentType: string | undefined): string | undefined {
  const fromQuery = query.get('Action');
  if (fromQuery !== null) return fromQuery;
  if (contentType?.startsWith('application/x-www-form-urlencoded') !== true) return undefined;
  return new URLSearchParams(body.toString('utf8')).get('Action') ?? undefined;
}

export function matches(rule: FaultRule, request: ProxiedRequest, body: Buffer): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== request.method) return false;
  if (rule.path !== undefined && !rule.path.test(request.path)) return false;
  if (rule.query !== undefined && !rule.query.test(request.query)) return false;
  if (rule.awsAction !== undefined && rule.awsAction !== request.awsAction) return false;
  if (rule.body !== undefined && !rule.body.test(body.toString('utf8'))) return false;
  return true;
}

export function selected(rule: FaultRule, ordinal: number): boolean {
  if (rule.nth === undefined) return true;
  return typeof rule.nth === 'number' ? rule.nth === ordinal : rule.nth.includes(ordinal);
}

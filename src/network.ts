/**
 * The one classifier of network failures. Node, OpenSSL and undici each report "no HTTP answer" with
 * their own codes, sometimes wrapped (undici's `TypeError: fetch failed` carries the system error as
 * its cause). Stages map the class to their own advice; the class itself is decided only here.
 */
import { ProxyError } from './egress/index.js';

/** `proxy`: the forward proxy in the path failed (down, 407, a refused CONNECT), not the destination. */
export type NetworkFailure = 'dns' | 'refused' | 'unreachable' | 'timeout' | 'reset' | 'tls' | 'proxy';

const failureOfCode: ReadonlyMap<string, NetworkFailure> = new Map([
  ...['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA'].map((code) => [code, 'dns'] as const),
  ['ECONNREFUSED', 'refused'],
  ...['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'].map((code) => [code, 'unreachable'] as const),
  ...['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'].map(
    (code) => [code, 'timeout'] as const,
  ),
  ...['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].map((code) => [code, 'reset'] as const),
]);

function isTlsCode(code: string): boolean {
  return (
    code.includes('CERT') ||
    code.startsWith('UNABLE_TO_') ||
    code.startsWith('SELF_SIGNED') ||
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code === 'EPROTO'
  );
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The first error in the chain of causes that carries a system code; the error itself when none does. */
export function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (codeOf(current) !== undefined) return current;
    current = current.cause;
  }
  return error;
}

/** The system, OpenSSL or undici code of the error or of one of its causes. */
export function systemCode(error: unknown): string | undefined {
  return codeOf(rootCause(error));
}

/** What kind of network failure this is, or undefined when it is not one (an HTTP answer, a bug). */
export function classifyNetworkError(error: unknown): NetworkFailure | undefined {
  if (proxyFailure(error) !== undefined) return 'proxy';
  const code = systemCode(error);
  if (code !== undefined) {
    const failure = failureOfCode.get(code);
    if (failure !== undefined) return failure;
    if (isTlsCode(code)) return 'tls';
  }
  if (error instanceof Error) {
    // OpenSSL errors carry `library`/`reason` instead of a code Node recognises.
    if ('library' in error) return 'tls';
    if (error.name === 'TimeoutError' || error.name === 'RequestTimeout') return 'timeout';
  }
  return undefined;
}

/** The proxy's own failure in the chain of causes, if the proxy is what failed. */
export function proxyFailure(error: unknown): ProxyError | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (current instanceof ProxyError) return current;
    current = current.cause;
  }
  return undefined;
}

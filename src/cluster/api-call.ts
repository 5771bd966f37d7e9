/**
 * One request to the API server, made with Node's own HTTP client and everything the kubeconfig
 * says about how to make it: `KubeConfig.applyToHTTPSOptions` supplies the TLS settings, the
 * credentials (tokens, client certificates, exec credential plugins, the in-cluster token file
 * re-read on every request) and its cached agent (the kubeconfig's proxy-url included), so no
 * request opens a connection pool of its own. Every request has a deadline and a size cap.
 */
import { Agent, request as httpRequest, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ClusterReadError, describeCause } from '../errors.js';
import { maxDocumentBytes } from '../issuer.js';
import { isJsonObject, parseJson, stringMember } from '../json.js';
import { classifyNetworkError, rootCause, systemCode } from '../network.js';
import { redact } from '../redact.js';
import type { ApiServerConnection } from './kubeconfig.js';

/** Long enough for a slow control plane, short enough that a black-holed one cannot hang a CronJob. */
export const defaultApiTimeoutMs = 15_000;

export interface ApiServerCall {
  /** What we were doing, e.g. `Reading the issuer discovery document (GET /.well-known/openid-configuration)`. */
  readonly action: string;
  readonly method: 'GET' | 'POST';
  /** Below the server URL (which may carry a path of its own, behind a proxy such as Rancher's). */
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: object;
  /** What to do about a 403, given the RBAC subject flag for the user the API server named. */
  readonly whenForbidden: (subject: string) => string;
  /** What a 404 means for this endpoint and what to do about it. */
  readonly whenNotFound: string;
  /** `defaultApiTimeoutMs` when omitted. */
  readonly timeoutMs?: number | undefined;
}

/** The API server answered, but not with 2xx. */
class StatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}`);
  }
}

class TooLargeError extends Error {}

/** The kubeconfig's credentials could not be had (an exec plugin failed, a token file is missing). */
class CredentialsError extends Error {}

/** The `message` of a Kubernetes Status body, trimmed: enough to act on, never a page of HTML. */
function statusMessage(body: string): string {
  const status = parseJson(body);
  if (status === undefined) return body.trim().slice(0, 300);
  return isJsonObject(status) ? (stringMember(status, 'message') ?? '').slice(0, 300) : '';
}

/** The kubectl flag that names the user an RBAC refusal was about. */
function rbacSubject(message: string): string {
  const user = /User "([^"]*)"/.exec(message)?.[1];
  const serviceAccount = user === undefined ? undefined : /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user);
  if (serviceAccount) return `--serviceaccount=${serviceAccount[1] ?? ''}:${serviceAccount[2] ?? ''}`;
  if (user !== undefined && user !== '') return `--user=${user}`;
  return '--serviceaccount=NAMESPACE:NAME';
}

function explainStatus(error: StatusError, call: ApiServerCall): { why: string; fix: string } {
  const message = statusMessage(error.body);
  const detail = message ? `: ${message}` : '';
  switch (error.status) {
    case 401:
      return {
        why:
          'the API server rejected the credentials (401 Unauthorized): the token or client certificate is ' +
          'invalid or expired',
        fix:
          "Refresh the kubeconfig's credentials or choose another user with --context; in a pod, check that the " +
          'mounted service-account token belongs to this cluster.',
      };
    case 403:
      return { why: `the API server refused (403 Forbidden${detail})`, fix: call.whenForbidden(rbacSubject(message)) };
    case 404:
      return { why: `the API server has no such endpoint (404 Not Found${detail})`, fix: call.whenNotFound };
    default:
      return {
        why: `the API server answered HTTP ${error.status}${detail}`,
        fix:
          error.status >= 500
            ? 'The API server is failing; check its health and logs, then retry.'
            : "Fix what the API server's message names, then retry.",
      };
  }
}

type Phase = 'credentials' | 'request';

function explain(
  error: unknown,
  connection: ApiServerConnection,
  call: ApiServerCall,
  context: { readonly timeoutMs: number; readonly phase: Phase },
): { why: string; fix: string } {
  const pickAnother = 'or choose another cluster with --kubeconfig/--context.';
  if (error instanceof StatusError) return explainStatus(error, call);
  if (error instanceof TooLargeError) {
    return {
      why: `the answer is larger than ${maxDocumentBytes / 1024 / 1024} MiB, far more than these documents ever are`,
      fix:
        `${connection.server} may not be a Kubernetes API server (a proxy?); check the server in the kubeconfig, ` +
        pickAnother,
    };
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    const seconds = String(context.timeoutMs / 1000);
    if (context.phase === 'credentials') {
      return {
        why: `the kubeconfig's credential plugin (exec) gave no credentials within ${seconds} s, and was stopped`,
        fix: `Run the plugin by hand to see what it waits for (a login prompt? a network call?), ${pickAnother}`,
      };
    }
    return {
      why: `no answer within ${seconds} s`,
      fix: `Check that the API server is up and reachable from here (address, firewall, VPN), ${pickAnother}`,
    };
  }
  if (error instanceof CredentialsError) {
    return {
      why: `the kubeconfig's credentials could not be obtained (${error.message})`,
      fix: `Fix the user entry of the kubeconfig (its exec plugin or token file), ${pickAnother}`,
    };
  }
  const failure = classifyNetworkError(error);
  const cause = describeCause(rootCause(error));
  if (failure === 'proxy') {
    return {
      why: `the proxy on the way failed: ${describeCause(error).replace(/\.$/, '')}`,
      fix:
        `Fix the proxy setting (--proxy, HTTPS_PROXY), or reach ${new URL(connection.server).hostname} directly by ` +
        'listing it in NO_PROXY (or give the cluster its own proxy-url in the kubeconfig).',
    };
  }
  if (failure === 'tls') {
    return {
      why: `its TLS certificate could not be verified with ${connection.trustedCa} (${cause})`,
      fix:
        'Refresh the certificate-authority(-data) in the kubeconfig from the cluster (its serving certificate or CA ' +
        'may have changed); if you reach it by a name or address its certificate does not cover, set ' +
        'tls-server-name in the kubeconfig.',
    };
  }
  if (failure === 'reset') {
    return {
      why: `the connection to ${connection.server} was closed before the answer was complete (${cause})`,
      fix: `Check what sits between here and the API server (a proxy, a load balancer), ${pickAnother}`,
    };
  }
  if (failure !== undefined) {
    return {
      why: `cannot connect to ${connection.server} (${cause})`,
      fix: `Check the server address in the kubeconfig and that the API server is reachable from here, ${pickAnother}`,
    };
  }
  const code = systemCode(error);
  if (code === 'ENOENT' || code === 'EACCES') {
    return {
      why: `a credential or CA file cannot be read (${cause})`,
      fix:
        'In a pod, check that the service-account token is mounted (automountServiceAccountToken); otherwise fix ' +
        'the file paths in the kubeconfig.',
    };
  }
  return { why: describeCause(error), fix: `Check the kubeconfig, ${pickAnother}` };
}

async function credentials(connection: ApiServerConnection): Promise<RequestOptions> {
  const options: RequestOptions = {};
  try {
    await connection.kubeConfig.applyToHTTPSOptions(options);
  } catch (error) {
    if (systemCode(error) === 'ENOENT' || systemCode(error) === 'EACCES') throw error;
    throw new CredentialsError(describeCause(error).trim() || 'the credential plugin failed', { cause: error });
  }
  // KubeConfig caches one agent per cluster and user but creates it without keep-alive, so every
  // request would still open a new TLS connection; a daemon reads the issuer run after run. Node
  // reads the flag per request, and keeps idle sockets unreferenced, so a CLI run still exits.
  if (options.agent instanceof Agent) Object.assign(options.agent, { keepAlive: true });
  // HTTPS_PROXY and NO_PROXY for a kubeconfig cluster without a proxy-url of its own.
  if (connection.agent !== undefined) options.agent = connection.agent;
  return options;
}

function exchange(
  connection: ApiServerConnection,
  call: ApiServerCall,
  options: RequestOptions,
  signal: AbortSignal,
): Promise<string> {
  const url = new URL(`${connection.server.replace(/\/+$/, '')}${call.path}`);
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
  // applyToHTTPSOptions sets headers as an object; the array form of RequestOptions is never used.
  const given = (options.headers ?? {}) as OutgoingHttpHeaders;
  const headers = {
    ...given,
    accept: 'application/json',
    ...(payload === undefined
      ? {}
      : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
  };
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, { ...options, method: call.method, headers, signal }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxDocumentBytes) {
          request.destroy(new TooLargeError());
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8');
        if (status >= 200 && status < 300) resolve(body);
        else reject(new StatusError(status, body));
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * Runs one API server request with a deadline over everything (credential plugins included) and
 * returns the body of a 2xx answer as text. Any failure becomes a ClusterReadError that says what
 * failed, why and what to do, with every credential redacted.
 */
export function callApiServer(connection: ApiServerConnection, call: ApiServerCall): Promise<string> {
  return deadlineCall(connection, call, () => credentials(connection));
}

/**
 * Several requests at once (on the kubeconfig's keep-alive agent), with one credentials lookup for
 * all of them: an exec credential plugin runs once, not once per request, and the in-cluster token
 * file is read once for this wave. Each request keeps its own deadline and error; the results come
 * back in the order of `calls`.
 */
export function callApiServerConcurrently<const Calls extends readonly ApiServerCall[]>(
  connection: ApiServerConnection,
  calls: Calls,
): Promise<{ -readonly [Index in keyof Calls]: PromiseSettledResult<string> }> {
  const shared = credentials(connection);
  shared.catch(() => undefined);
  const settled = Promise.allSettled(calls.map((call) => deadlineCall(connection, call, () => shared)));
  // One result per call, in order: the tuple type only restates what allSettled guarantees.
  return settled as Promise<{ -readonly [Index in keyof Calls]: PromiseSettledResult<string> }>;
}

async function deadlineCall(
  connection: ApiServerConnection,
  call: ApiServerCall,
  options: () => Promise<RequestOptions>,
): Promise<string> {
  const timeoutMs = call.timeoutMs ?? defaultApiTimeoutMs;
  // Cleared when the call ends: AbortSignal.timeout would keep its listeners, and the call, alive
  // for the whole timeout, long after a daemon's run is over.
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`no answer within ${String(timeoutMs)} ms`, 'TimeoutError'));
  }, timeoutMs);
  timer.unref();
  const { signal } = controller;
  const deadline = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => {
      reject(signal.reason as Error);
    });
  });
  deadline.catch(() => undefined);
  let phase: Phase = 'credentials';
  try {
    const resolved = await Promise.race([options(), deadline]);
    phase = 'request';
    return await Promise.race([exchange(connection, call, resolved, signal), deadline]);
  } catch (error) {
    const { why, fix } = explain(error, connection, call, { timeoutMs, phase });
    const token = connection.kubeConfig.getCurrentUser()?.token;
    throw new ClusterReadError(
      redact(`${call.action} from ${connection.description} failed: ${why}. ${fix}`, [token]),
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

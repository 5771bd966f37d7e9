import { ApiException, Observable, type ConfigurationOptions, type ObservableMiddleware } from '@kubernetes/client-node';
import { ClusterReadError, describeCause } from '../errors.js';
import { isJsonObject, parseJson, stringMember } from '../json.js';
import { classifyNetworkError, rootCause, systemCode } from '../network.js';
import type { ApiServerConnection } from './kubeconfig.js';

/** Long enough for a slow control plane, short enough that a black-holed one cannot hang a CronJob. */
const defaultTimeoutMs = 15_000;

export interface ApiServerCall {
  /** What we were doing, e.g. `Reading the issuer discovery document (GET /.well-known/openid-configuration)`. */
  readonly action: string;
  /** What to do about a 403, given the RBAC subject flag for the user the API server named. */
  readonly whenForbidden: (subject: string) => string;
  /** What a 404 means for this endpoint and what to do about it. */
  readonly whenNotFound: string;
  /** `defaultTimeoutMs` when omitted. */
  readonly timeoutMs?: number | undefined;
}

/** The `message` of a Kubernetes Status body, trimmed: enough to act on, never a page of HTML. */
function statusMessage(body: unknown): string {
  const status = typeof body === 'string' ? parseJson(body) : body;
  if (typeof body === 'string' && status === undefined) return body.trim().slice(0, 300);
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

function explainStatus(error: ApiException<unknown>, call: ApiServerCall): { why: string; fix: string } {
  const message = statusMessage(error.body);
  const detail = message ? `: ${message}` : '';
  switch (error.code) {
    case 401:
      return {
        why: 'the API server rejected the credentials (401 Unauthorized): the token or client certificate is invalid or expired',
        fix: 'Refresh the kubeconfig\'s credentials or choose another user with --context; in a pod, check that the mounted service-account token belongs to this cluster.',
      };
    case 403:
      return { why: `the API server refused (403 Forbidden${detail})`, fix: call.whenForbidden(rbacSubject(message)) };
    case 404:
      return { why: `the API server has no such endpoint (404 Not Found${detail})`, fix: call.whenNotFound };
    default:
      return {
        why: `the API server answered HTTP ${error.code}${detail}`,
        fix: error.code >= 500 ? 'The API server is failing; check its health and logs, then retry.' : 'Fix what the API server\'s message names, then retry.',
      };
  }
}

function explain(error: unknown, connection: ApiServerConnection, call: ApiServerCall, timeoutMs: number): { why: string; fix: string } {
  const pickAnother = 'or choose another cluster with --kubeconfig/--context.';
  if (error instanceof ApiException) return explainStatus(error, call);
  if (error instanceof SyntaxError) {
    return {
      why: `the response is not JSON (${error.message})`,
      fix: `${connection.server} may not be a Kubernetes API server (a proxy or a web page?); check the server in the kubeconfig, ${pickAnother}`,
    };
  }
  // client-node parses a 2xx body by its Content-Type and refuses types it does not know, or none.
  if (error instanceof Error && /^(Cannot parse content|The mediaType )/.test(error.message)) {
    return {
      why: `the response has an unexpected Content-Type (${error.message})`,
      fix: `${connection.server} may not be a Kubernetes API server; check the server in the kubeconfig, ${pickAnother}`,
    };
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return {
      why: `no answer within ${String(timeoutMs / 1000)} s`,
      fix: `Check that the API server is up and reachable from here (address, firewall, VPN), ${pickAnother}`,
    };
  }
  const failure = classifyNetworkError(error);
  const cause = describeCause(rootCause(error));
  if (failure === 'tls') {
    return {
      why: `its TLS certificate could not be verified with ${connection.trustedCa} (${cause})`,
      fix: 'Refresh the certificate-authority(-data) in the kubeconfig from the cluster (its serving certificate or CA may have changed); if you reach it by a name or address its certificate does not cover, set tls-server-name in the kubeconfig.',
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
      fix: 'In a pod, check that the service-account token is mounted (automountServiceAccountToken); otherwise fix the file paths in the kubeconfig.',
    };
  }
  return { why: describeCause(error), fix: `Check the kubeconfig, ${pickAnother}` };
}

/** Every request gets the deadline's signal, so a socket that never answers is torn down. */
function abortOn(signal: AbortSignal): ObservableMiddleware {
  return {
    pre: (context) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context) => new Observable(Promise.resolve(context)),
  };
}

/**
 * Runs one API server request with a deadline and turns any failure into a ClusterReadError that
 * says what failed, why and what to do.
 */
export async function callApiServer<T>(
  connection: ApiServerConnection,
  call: ApiServerCall,
  send: (options: ConfigurationOptions) => Promise<T>,
): Promise<T> {
  const timeoutMs = call.timeoutMs ?? defaultTimeoutMs;
  const signal = AbortSignal.timeout(timeoutMs);
  // The signal covers the HTTP exchange; the race also covers what runs before it (exec credential plugins).
  const deadline = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => { reject(signal.reason as Error); }, { once: true });
  });
  deadline.catch(() => undefined);
  try {
    return await Promise.race([send({ middleware: [abortOn(signal)], middlewareMergeStrategy: 'append' }), deadline]);
  } catch (error) {
    const { why, fix } = explain(error, connection, call, timeoutMs);
    throw new ClusterReadError(redactToken(`${call.action} from ${connection.description} failed: ${why}. ${fix}`, connection), {
      cause: error,
    });
  }
}

/**
 * Nothing above quotes a request header, but a token must never reach an error, not even when a
 * proxy's error page echoes it. (Anything shorter than 8 characters is no real credential, and
 * replacing it would mangle words.)
 */
function redactToken(message: string, connection: ApiServerConnection): string {
  const token = connection.kubeConfig.getCurrentUser()?.token;
  return token && token.length >= 8 ? message.replaceAll(token, '[redacted]') : message;
}

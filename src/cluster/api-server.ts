import { OpenidApi, WellKnownApi } from '@kubernetes/client-node';
import { ClusterReadError } from '../errors.js';
import { callApiServer } from './api-call.js';
import { loadKubeConfig, type ApiServerConnection, type KubeConfigOptions } from './kubeconfig.js';
import type { ClusterIssuerMetadata, ClusterReader } from './metadata.js';

export interface ApiServerReaderOptions extends KubeConfigOptions {
  /** Give up on each request after this many milliseconds; 15 s when omitted. */
  readonly timeoutMs?: number;
}

const discoveryPath = '/.well-known/openid-configuration';
const jwksPath = '/openid/v1/jwks';

// The ClusterRole every cluster ships for exactly these two paths (bound by default to all service accounts).
const discoveryRole = 'system:service-account-issuer-discovery';

function whenForbidden(subject: string): string {
  return `Bind the ClusterRole ${discoveryRole} to it: kubectl create clusterrolebinding irsa-issuer-discovery --clusterrole=${discoveryRole} ${subject} (or --group=system:authenticated to let every authenticated client read these public documents).`;
}

function whenNotFound(connection: ApiServerConnection): string {
  return `kube-apiserver serves issuer discovery when --service-account-issuer is set (Kubernetes 1.21+; 1.18-1.20 behind the ServiceAccountIssuerDiscovery feature gate); otherwise ${connection.server} is not a Kubernetes API server.`;
}

/**
 * client-node 2.x types both documents as `string` but returns what it parsed by Content-Type: an
 * object for the JSON types kube-apiserver sends, the raw text for a text/* answer.
 */
function asDocument(value: unknown, what: string, connection: ApiServerConnection): Record<string, unknown> {
  let document = value;
  if (typeof value === 'string') {
    try {
      document = JSON.parse(value);
    } catch {
      throw new ClusterReadError(
        `The ${what} from ${connection.description} is not JSON (it starts ${JSON.stringify(value.slice(0, 40))}). ${connection.server} may not be a Kubernetes API server (a proxy or a web page?); check the server in the kubeconfig, or choose another cluster with --kubeconfig/--context.`,
      );
    }
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ClusterReadError(
      `The ${what} from ${connection.description} is ${Array.isArray(document) ? 'an array' : String(document)}, not a JSON object. Check that the kubeconfig points at a Kubernetes API server.`,
    );
  }
  return document as Record<string, unknown>;
}

function requireString(document: Record<string, unknown>, member: string, connection: ApiServerConnection): string {
  const value = document[member];
  if (typeof value !== 'string' || value === '') {
    throw new ClusterReadError(
      `The issuer discovery document from ${connection.description} has no "${member}" string, which kube-apiserver always sets (from --service-account-issuer and --service-account-jwks-uri). Check that the kubeconfig points at a Kubernetes API server and not a proxy rewriting its answers.`,
    );
  }
  return value;
}

/** Reads the cluster's discovery document and JWKS; the keys are passed on unvalidated. */
export async function readIssuerMetadata(
  connection: ApiServerConnection,
  options: { readonly timeoutMs?: number | undefined } = {},
): Promise<ClusterIssuerMetadata> {
  const refusals = { whenForbidden, whenNotFound: whenNotFound(connection), timeoutMs: options.timeoutMs };

  const wellKnown = connection.kubeConfig.makeApiClient(WellKnownApi);
  const rawDiscovery: unknown = await callApiServer(
    connection,
    { action: `Reading the issuer discovery document (GET ${discoveryPath})`, ...refusals },
    (request) => wellKnown.getServiceAccountIssuerOpenIDConfiguration({}, request),
  );
  const discovery = asDocument(rawDiscovery, `issuer discovery document (${discoveryPath})`, connection);
  const issuer = requireString(discovery, 'issuer', connection);
  const jwksUri = requireString(discovery, 'jwks_uri', connection);

  const openid = connection.kubeConfig.makeApiClient(OpenidApi);
  const rawJwks: unknown = await callApiServer(
    connection,
    { action: `Reading the issuer's signing keys (GET ${jwksPath})`, ...refusals },
    (request) => openid.getServiceAccountIssuerOpenIDKeyset({}, request),
  );
  const jwks = asDocument(rawJwks, `JWKS (${jwksPath})`, connection);
  if (!Array.isArray(jwks.keys)) {
    throw new ClusterReadError(
      `The JWKS from ${connection.description} has no "keys" array, which every JSON Web Key Set has (RFC 7517). Check that the kubeconfig points at a Kubernetes API server and not a proxy rewriting its answers.`,
    );
  }
  return { issuer, jwksUri, keys: jwks.keys as unknown[], source: connection.description };
}

/** The `ClusterReader` for a live cluster. Loads the kubeconfig now, so a bad flag fails before any request (ConfigError). */
export function apiServerReader(options: ApiServerReaderOptions = {}): ClusterReader {
  const connection = loadKubeConfig(options);
  return { read: () => readIssuerMetadata(connection, { timeoutMs: options.timeoutMs }) };
}

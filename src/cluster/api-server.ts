import type { ClusterIssuerMetadata } from '../documents/index.js';
import { ClusterReadError } from '../errors.js';
import { discoveryPath as discoveryDocumentPath, jwksPath as jwksDocumentPath } from '../issuer.js';
import { isJsonObject, parseJson, stringMember, type JsonObject } from '../json.js';
import { redact } from '../redact.js';
import { callApiServerConcurrently } from './api-call.js';
import { loadKubeConfig, type ApiServerConnection, type KubeConfigOptions } from './kubeconfig.js';
import type { ClusterReader } from './reader.js';

export interface ApiServerReaderOptions {
  /** Give up on each request after this many milliseconds; 15 s when omitted. */
  readonly timeoutMs?: number | undefined;
}

// kube-apiserver serves the documents at the same paths under its own root as we publish under the issuer.
const discoveryPath = `/${discoveryDocumentPath}`;
const jwksPath = `/${jwksDocumentPath}`;

// The ClusterRole every cluster ships for exactly these two paths (bound by default to all service accounts).
const discoveryRole = 'system:service-account-issuer-discovery';

function whenForbidden(subject: string): string {
  return (
    `Bind the ClusterRole ${discoveryRole} to it: kubectl create clusterrolebinding irsa-issuer-discovery ` +
    `--clusterrole=${discoveryRole} ${subject} (or --group=system:authenticated to let every authenticated client ` +
    `read these public documents).`
  );
}

function whenNotFound(connection: ApiServerConnection): string {
  return (
    `kube-apiserver serves issuer discovery when --service-account-issuer is set (Kubernetes 1.21+; 1.18-1.20 ` +
    `behind the ServiceAccountIssuerDiscovery feature gate); otherwise ${connection.server} is not a Kubernetes ` +
    `API server.`
  );
}

/** A 2xx body that must be a JSON object; anything else is no Kubernetes API server's answer. */
function asDocument(text: string, what: string, connection: ApiServerConnection): JsonObject {
  const document = parseJson(text);
  if (document === undefined) {
    const start = redact(JSON.stringify(text.slice(0, 40)), [connection.kubeConfig.getCurrentUser()?.token]);
    throw new ClusterReadError(
      `The ${what} from ${connection.description} is not JSON (it starts ${start}). ` +
        `${connection.server} may not be a Kubernetes API server (a proxy or a web page?); ` +
        'check the server in the kubeconfig, or choose another cluster with --kubeconfig/--context.',
    );
  }
  if (!isJsonObject(document)) {
    const shape = Array.isArray(document) ? 'an array' : JSON.stringify(document);
    throw new ClusterReadError(
      `The ${what} from ${connection.description} is ${shape}, not a JSON object. ` +
        'Check that the kubeconfig points at a Kubernetes API server.',
    );
  }
  return document;
}

function requireString(document: JsonObject, member: string, connection: ApiServerConnection): string {
  const value = stringMember(document, member);
  if (value === undefined) {
    throw new ClusterReadError(
      `The issuer discovery document from ${connection.description} has no "${member}" string, which kube-apiserver ` +
        `always sets (from --service-account-issuer and --service-account-jwks-uri). Check that the kubeconfig ` +
        `points at a Kubernetes API server and not a proxy rewriting its answers.`,
    );
  }
  return value;
}

/** Reads the cluster's discovery document and JWKS; the keys are passed on unvalidated. */
export async function readIssuerMetadata(
  connection: ApiServerConnection,
  options: ApiServerReaderOptions = {},
): Promise<ClusterIssuerMetadata> {
  const refusals = { whenForbidden, whenNotFound: whenNotFound(connection), timeoutMs: options.timeoutMs };

  // Both GETs at once: neither needs the other's answer. A failure of either fails the read, the
  // discovery document's first, so the same failure always gives the same message.
  const [discoveryRead, jwksRead] = await callApiServerConcurrently(connection, [
    {
      action: `Reading the issuer discovery document (GET ${discoveryPath})`,
      method: 'GET',
      path: discoveryPath,
      ...refusals,
    },
    {
      action: `Reading the issuer's signing keys (GET ${jwksPath})`,
      method: 'GET',
      path: jwksPath,
      ...refusals,
    },
  ]);
  if (discoveryRead.status === 'rejected') throw discoveryRead.reason;
  const discovery = asDocument(discoveryRead.value, `issuer discovery document (${discoveryPath})`, connection);
  const issuer = requireString(discovery, 'issuer', connection);
  const jwksUri = requireString(discovery, 'jwks_uri', connection);
  if (jwksRead.status === 'rejected') throw jwksRead.reason;
  const rawJwks = jwksRead.value;
  const jwks = asDocument(rawJwks, `JWKS (${jwksPath})`, connection);
  if (!Array.isArray(jwks.keys)) {
    throw new ClusterReadError(
      `The JWKS from ${connection.description} has no "keys" array, which every JSON Web Key Set has (RFC 7517). ` +
        `Check that the kubeconfig points at a Kubernetes API server and not a proxy rewriting its answers.`,
    );
  }
  return { issuer, jwksUri, keys: jwks.keys as unknown[], source: connection.description };
}

export interface ApiServerReader extends ClusterReader {
  /** The loaded kubeconfig, for other calls to the same API server (TokenRequest). */
  readonly connection: ApiServerConnection;
}

/**
 * The `ClusterReader` for a live cluster. Loads the kubeconfig now, so a bad flag fails before any
 * request (ConfigError).
 */
export function apiServerReader(options: KubeConfigOptions & ApiServerReaderOptions = {}): ApiServerReader {
  const connection = loadKubeConfig(options);
  return { connection, read: () => readIssuerMetadata(connection, options) };
}

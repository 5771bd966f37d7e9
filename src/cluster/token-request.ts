import { ClusterReadError } from '../errors.js';
import { defaultAudience } from '../issuer.js';
import { isJsonObject, parseJson, stringMember } from '../json.js';
import { callApiServer } from './api-call.js';
import type { ApiServerConnection } from './kubeconfig.js';

export interface ServiceAccountTokenOptions {
  readonly namespace: string;
  /** The service account's name. */
  readonly name: string;
  /** The token's `aud`; STS expects `sts.amazonaws.com` unless the provider lists another client ID. */
  readonly audience?: string;
  /** `minimumTokenSeconds` when omitted: the token only has to live through one verification. */
  readonly expirationSeconds?: number;
  readonly timeoutMs?: number;
}

/** TokenRequest's shortest expiration; the API server refuses anything shorter. */
export const minimumTokenSeconds = 600;

/**
 * Mints a service-account token with TokenRequest, as a pod's projected token would be minted, so it
 * can be checked against the published JWKS (and exchanged at STS). The token is a credential:
 * return it, never log it.
 */
export async function mintServiceAccountToken(
  connection: ApiServerConnection,
  options: ServiceAccountTokenOptions,
): Promise<string> {
  const { namespace, name } = options;
  const audience = options.audience ?? defaultAudience;
  const expirationSeconds = options.expirationSeconds ?? minimumTokenSeconds;
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`;
  const forbidden = (subject: string) =>
    `It needs create on serviceaccounts/token for that service account: kubectl create role irsa-issuer-token ` +
    `--namespace=${namespace} --verb=create --resource=serviceaccounts/token --resource-name=${name} && ` +
    `kubectl create rolebinding irsa-issuer-token --namespace=${namespace} --role=irsa-issuer-token ${subject}`;
  const answer = await callApiServer(connection, {
    action: `Minting a token for service account ${namespace}/${name} (POST ${path})`,
    method: 'POST',
    path,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: [audience], expirationSeconds },
    },
    whenForbidden: forbidden,
    whenNotFound:
      `The service account ${namespace}/${name} does not exist: create it ` +
      `(kubectl create serviceaccount ${name} --namespace=${namespace}) or name an existing one.`,
    timeoutMs: options.timeoutMs,
  });
  const tokenRequest = parseJson(answer);
  const status = isJsonObject(tokenRequest) ? tokenRequest.status : undefined;
  const token = isJsonObject(status) ? stringMember(status, 'token') : undefined;
  if (token === undefined) {
    throw new ClusterReadError(
      `Minting a token for service account ${namespace}/${name} from ${connection.description} returned no ` +
        `status.token. Check that the kubeconfig points at a Kubernetes API server.`,
    );
  }
  return token;
}

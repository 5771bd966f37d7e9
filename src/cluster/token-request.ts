import { CoreV1Api } from '@kubernetes/client-node';
import { ClusterReadError } from '../errors.js';
import { defaultAudience } from '../issuer.js';
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
  const core = connection.kubeConfig.makeApiClient(CoreV1Api);
  const tokenRequest = await callApiServer(
    connection,
    {
      action: `Minting a token for service account ${namespace}/${name} (POST ${path})`,
      whenForbidden: (subject) =>
        `It needs create on serviceaccounts/token for that service account: kubectl create role irsa-issuer-token --namespace=${namespace} --verb=create --resource=serviceaccounts/token --resource-name=${name} && kubectl create rolebinding irsa-issuer-token --namespace=${namespace} --role=irsa-issuer-token ${subject}`,
      whenNotFound: `The service account ${namespace}/${name} does not exist: create it (kubectl create serviceaccount ${name} --namespace=${namespace}) or name an existing one.`,
      timeoutMs: options.timeoutMs,
    },
    (request) =>
      core.createNamespacedServiceAccountToken(
        {
          namespace,
          name,
          // client-node's model classes carry no behaviour and it serialises by declared type, so a literal is safe.
          // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [audience], expirationSeconds } },
        },
        request,
      ),
  );
  const token = tokenRequest.status?.token;
  if (typeof token !== 'string' || token === '') {
    throw new ClusterReadError(
      `Minting a token for service account ${namespace}/${name} from ${connection.description} returned no status.token. Check that the kubeconfig points at a Kubernetes API server.`,
    );
  }
  return token;
}

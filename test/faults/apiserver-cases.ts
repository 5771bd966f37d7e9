/**
 * The API server failing while the issuer metadata is read, as kube-apiserver and whatever sits in
 * front of it really fail: Status bodies for 401, 403 and 500, a web page instead of JSON, an error
 * page that echoes the bearer token, a connection cut mid-answer, silence and a drip. The run ends
 * before any write, says what to do, never prints the token, and the next run converges.
 */
import { kubernetesStatus } from '../stand/fault-responses.js';
import type { FaultCase } from './case.js';

const discovery = /^\/\.well-known\/openid-configuration$/;
const jwks = /^\/openid\/v1\/jwks$/;
const documents = [
  ['discovery document', discovery, 'issuer discovery document'],
  ['JWKS', jwks, "issuer's signing keys"],
] as const;

const statuses: FaultCase[] = documents.flatMap(([what, path, reading]) => [
  {
    name: `the API server answers the ${what} with 401 (an expired token)`,
    api: [{ path, action: { kind: 'respond', response: kubernetesStatus(401, 'Unauthorized', 'Unauthorized') } }],
    exit: 1,
    failedStage: 'read',
    stderr: new RegExp(
      `Reading the ${reading} .* failed: the API server rejected the credentials \\(401 Unauthorized\\).*Refresh the kubeconfig's credentials`,
    ),
    landed: [],
  },
  {
    name: `the API server answers the ${what} with 403 (no RBAC binding)`,
    api: [
      {
        path,
        action: {
          kind: 'respond',
          response: kubernetesStatus(
            403,
            'Forbidden',
            'forbidden: User "system:serviceaccount:irsa-issuer:irsa-issuer" cannot get path "/openid/v1/jwks"',
          ),
        },
      },
    ],
    exit: 1,
    failedStage: 'read',
    stderr:
      /403 Forbidden.*kubectl create clusterrolebinding irsa-issuer-discovery --clusterrole=system:service-account-issuer-discovery --serviceaccount=irsa-issuer:irsa-issuer/,
    landed: [],
  },
  {
    name: `the API server answers the ${what} with 500`,
    api: [
      {
        path,
        action: {
          kind: 'respond',
          response: kubernetesStatus(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out'),
        },
      },
    ],
    exit: 1,
    failedStage: 'read',
    stderr: /answered HTTP 500: Internal error occurred: etcdserver: request timed out.*check its health/,
    landed: [],
  },
  {
    name: `something in front of the API server answers the ${what} with a web page`,
    api: [
      {
        path,
        action: {
          kind: 'respond',
          response: {
            status: 200,
            contentType: 'text/html',
            body: '<html><body><h1>Welcome to nginx!</h1></body></html>',
          },
        },
      },
    ],
    exit: 1,
    failedStage: 'read',
    stderr: /is not JSON \(it starts "<html><body><h1>Welcome to nginx!.*may not be a Kubernetes API server/,
    landed: [],
  },
]);

const transport: FaultCase[] = [
  {
    name: 'a proxy answers the JWKS with a 403 page that echoes the request headers: the token is redacted',
    api: [{ path: jwks, action: { kind: 'echo-headers', status: 403, only: ['authorization'] } }],
    exit: 1,
    failedStage: 'read',
    stderr: /403 Forbidden: Authorization: Bearer \[redacted\]/,
    landed: [],
  },
  {
    name: 'a proxy answers the discovery document with a 500 page that echoes every request header: the token is redacted',
    api: [{ path: discovery, action: { kind: 'echo-headers', status: 500 } }],
    exit: 1,
    failedStage: 'read',
    stderr: /HTTP 500: request received by GET/,
    landed: [],
  },
  {
    name: 'the connection to the API server is cut halfway through the JWKS',
    api: [{ path: jwks, action: { kind: 'close' } }],
    exit: 1,
    failedStage: 'read',
    stderr:
      /Reading the issuer's signing keys .* failed: the connection to .* was closed before the answer was complete/,
    landed: [],
  },
  {
    // The reader's deadline is 15 s per request: silence ends there, not at the kill timer.
    name: 'the API server accepts the JWKS request and never answers',
    api: [{ path: jwks, action: { kind: 'blackhole' } }],
    deadlineMs: 30_000,
    exit: 1,
    failedStage: 'read',
    stderr: /Reading the issuer's signing keys .* failed: no answer within 15 s/,
    landed: [],
  },
  {
    name: 'the API server drips the JWKS one byte a second',
    api: [{ path: jwks, action: { kind: 'drip' } }],
    deadlineMs: 30_000,
    exit: 1,
    failedStage: 'read',
    stderr: /Reading the issuer's signing keys .* failed: no answer within 15 s/,
    landed: [],
  },
  {
    name: 'a proxy answers the JWKS 200 text/plain, echoing the Authorization header: the token is not quoted',
    api: [
      { path: jwks, action: { kind: 'echo-headers', status: 200, contentType: 'text/plain', only: ['authorization'] } },
    ],
    exit: 1,
    failedStage: 'read',
    stderr: /JWKS .* is not JSON \(it starts "authorization: Bearer \[redacted\]/i,
    landed: [],
  },
  {
    name: 'the API server answers a 100 MB JWKS: refused at the 1 MiB cap, nothing written',
    api: [{ path: jwks, action: { kind: 'oversized', bytes: 100 * 1024 * 1024 } }],
    exit: 1,
    failedStage: 'read',
    stderr: /Reading the issuer's signing keys .* failed: the answer is larger than 1 MiB/,
    landed: [],
  },
];

/** The slow ones first, so they wait while the fast ones run. */
export const apiServerCases: readonly FaultCase[] = [...transport.slice(-2), ...statuses, ...transport.slice(0, -2)];

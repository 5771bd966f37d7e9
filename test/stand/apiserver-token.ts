/**
 * TokenRequest (`POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`) as kube-apiserver answers
 * it: validation, the claims it puts in a service-account token, and the object it returns.
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/registry/core/serviceaccount/storage/token.go
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/serviceaccount/claims.go
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './apiserver-keys.js';
import { failure, type KubernetesStatus } from './apiserver-status.js';

/** ValidateTokenRequest's floor: "may not specify a duration less than 10 minutes". */
export const minimumExpirationSeconds = 600;
/** What the API server defaults spec.expirationSeconds to. */
const defaultExpirationSeconds = 3600;

export interface TokenRequestIssuer {
  readonly issuer: string;
  /** The key tokens are signed with (kube-apiserver's --service-account-signing-key-file). */
  readonly signingKey: SigningKey;
  /** The API server's --api-audiences, used when the request names none; kube defaults it to the issuer. */
  readonly defaultAudiences: readonly string[];
  serviceAccountUid(namespace: string, name: string): string;
}

export interface TokenRequestAnswer {
  readonly status: number;
  readonly body: object;
}

const apiVersion = 'authentication.k8s.io/v1';

function badRequest(message: string): TokenRequestAnswer {
  return { status: 400, body: failure(400, 'BadRequest', message) };
}

function invalidExpiration(seconds: number): KubernetesStatus {
  const detail = `Invalid value: ${seconds}: may not specify a duration less than 10 minutes`;
  return failure(
    422,
    'Invalid',
    `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: ${detail}`,
    {
      group: 'authentication.k8s.io',
      kind: 'TokenRequest',
      causes: [{ reason: 'FieldValueInvalid', message: detail, field: 'spec.expirationSeconds' }],
    },
  );
}

function rfc3339(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function answerTokenRequest(
  namespace: string,
  name: string,
  rawBody: string,
  issuer: TokenRequestIssuer,
): Promise<TokenRequestAnswer> {
  let request: unknown;
  try {
    request = JSON.parse(rawBody);
  } catch (error) {
    return badRequest(`couldn't get version/kind; json parse error: ${String(error)}`);
  }
  if (typeof request !== 'object' || request === null) return badRequest('the request body is not an object');
  const {
    apiVersion: version,
    kind,
    spec: rawSpec,
  } = request as { apiVersion?: unknown; kind?: unknown; spec?: unknown };
  if (version !== apiVersion || kind !== 'TokenRequest') {
    return badRequest(`the body is ${String(version)}/${String(kind)}, not ${apiVersion}/TokenRequest`);
  }
  const spec = (typeof rawSpec === 'object' && rawSpec !== null ? rawSpec : {}) as {
    audiences?: unknown;
    expirationSeconds?: unknown;
  };
  const expirationSeconds =
    typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : defaultExpirationSeconds;
  if (expirationSeconds < minimumExpirationSeconds) return { status: 422, body: invalidExpiration(expirationSeconds) };
  const audiences =
    Array.isArray(spec.audiences) && spec.audiences.length > 0
      ? spec.audiences.map(String)
      : [...issuer.defaultAudiences];

  const now = Math.floor(Date.now() / 1000);
  const expiry = now + expirationSeconds;
  const uid = issuer.serviceAccountUid(namespace, name);
  // go-jose merges the public and private claims into one map, so they serialise alphabetically.
  const claims = {
    aud: audiences,
    exp: expiry,
    iat: now,
    iss: issuer.issuer,
    jti: randomUUID(),
    'kubernetes.io': { namespace, serviceaccount: { name, uid } },
    nbf: now,
    sub: `system:serviceaccount:${namespace}:${name}`,
  };
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: issuer.signingKey.alg, kid: issuer.signingKey.kid })
    .sign(issuer.signingKey.privateKey);
  return {
    status: 201,
    body: {
      kind: 'TokenRequest',
      apiVersion,
      metadata: { name, namespace, creationTimestamp: null },
      spec: { audiences, expirationSeconds, boundObjectRef: null },
      status: { token, expirationTimestamp: rfc3339(expiry) },
    },
  };
}

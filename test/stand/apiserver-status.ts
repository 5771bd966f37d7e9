/**
 * kube-apiserver's error bodies: a `Status` object (k8s.io/apimachinery metav1.Status), members in
 * the order the API server marshals them.
 */
export interface KubernetesStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: Record<string, unknown>;
  readonly code: number;
}

export function failure(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): KubernetesStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

/** What a missing (with --anonymous-auth=false), unknown or expired bearer token gets. */
export const unauthorized = failure(401, 'Unauthorized', 'Unauthorized');

/** RBAC's answer for a path outside the API, e.g. /openid/v1/jwks. */
export function forbiddenPath(user: string, method: string, path: string): KubernetesStatus {
  return failure(403, 'Forbidden', `forbidden: User "${user}" cannot ${method.toLowerCase()} path "${path}"`, {});
}

/** RBAC's answer for a resource, e.g. create on serviceaccounts/token. */
export function forbiddenResource(
  user: string,
  verb: string,
  resource: string,
  subresource: string,
  namespace: string,
  name: string,
): KubernetesStatus {
  return failure(
    403,
    'Forbidden',
    `${resource} "${name}" is forbidden: User "${user}" cannot ${verb} resource "${resource}/${subresource}" in API group "" in the namespace "${namespace}"`,
    { name, kind: resource },
  );
}

export const notFound = failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const methodNotAllowed = failure(
  405,
  'MethodNotAllowed',
  'the server does not allow this method on the requested resource',
  {},
);

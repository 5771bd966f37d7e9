/**
 * Error answers shaped as each upstream really sends them, so a client parses an injected fault
 * exactly as it would parse the real one: S3's REST XML, IAM's and STS's query-protocol XML, and
 * kube-apiserver's Status JSON.
 */
import { randomBytes } from 'node:crypto';
import { failure } from './apiserver-status.js';

/** A canned answer the fault proxy sends instead of forwarding. */
export interface CannedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const requestId = (): string => randomBytes(8).toString('hex').toUpperCase();

function xmlText(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** S3's words for the errors the fault suite injects. */
const s3Messages: Readonly<Record<string, string>> = {
  InternalError: 'We encountered an internal error. Please try again.',
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Service is unable to handle request.',
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold',
  ConditionalRequestConflict:
    'A conflicting conditional operation is currently in progress against this resource. Please try again.',
  AccessDenied: 'Access Denied',
};

/**
 * An S3 REST error (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html):
 * `<Error><Code>…` at the root, the request ID in a header and in the body.
 */
export function s3Error(status: number, code: string, message = s3Messages[code] ?? code): CannedResponse {
  const id = requestId();
  return {
    status,
    contentType: 'application/xml',
    headers: { 'x-amz-request-id': id, 'x-amz-id-2': randomBytes(24).toString('base64') },
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${xmlText(code)}</Code><Message>${xmlText(message)}</Message><RequestId>${id}</RequestId>` +
      `<HostId>${randomBytes(24).toString('base64')}</HostId></Error>`,
  };
}

/** IAM's words for the errors the fault suite injects. */
const queryMessages: Readonly<Record<string, string>> = {
  Throttling: 'Rate exceeded',
  AccessDenied: 'User: arn:aws:iam::123456789012:user/irsa-issuer is not authorized to perform this action',
  LimitExceeded: 'Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100',
  EntityAlreadyExists: 'Provider with url already exists.',
  ServiceFailure: 'An unexpected error occurred.',
};

/**
 * An error of an AWS query-protocol API (IAM, STS): `<ErrorResponse><Error><Type>Sender</Type>
 * <Code>…`, as https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html lists them.
 */
export function awsQueryError(
  status: number,
  code: string,
  options: { readonly message?: string; readonly type?: 'Sender' | 'Receiver'; readonly namespace?: string } = {},
): CannedResponse {
  const id = requestId();
  const type = options.type ?? (status >= 500 ? 'Receiver' : 'Sender');
  const namespace = options.namespace ?? 'https://iam.amazonaws.com/doc/2010-05-08/';
  return {
    status,
    contentType: 'text/xml',
    headers: { 'x-amzn-requestid': id },
    body:
      `<ErrorResponse xmlns="${namespace}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${xmlText(code)}</Code>\n` +
      `    <Message>${xmlText(options.message ?? queryMessages[code] ?? code)}</Message>\n  </Error>\n` +
      `  <RequestId>${id}</RequestId>\n</ErrorResponse>\n`,
  };
}

/** kube-apiserver's Status body for an error (metav1.Status), as apiserver-status.ts renders it. */
export function kubernetesStatus(code: number, reason: string, message: string): CannedResponse {
  return { status: code, contentType: 'application/json', body: JSON.stringify(failure(code, reason, message)) };
}

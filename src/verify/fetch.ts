import { request } from 'node:https';
import { directEgress, EgressHttpsAgent, trustedCas, type Egress } from '../egress/index.js';
import { maxDocumentBytes } from '../issuer.js';
import { classifyNetworkError } from '../network.js';

export interface PublicResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly location: string | undefined;
  readonly body: Buffer;
}

export interface PublicFetchOptions {
  /** The whole exchange (DNS, connect, TLS, headers, body) must finish within this. */
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** An extra trusted CA (PEM), for a private CA; always on top of Node's store plus NODE_EXTRA_CA_CERTS. */
  readonly ca?: string;
  /** The proxy route (HTTPS_PROXY, NO_PROXY, --proxy); direct when omitted. */
  readonly egress?: Egress;
}

export const defaultFetchOptions: PublicFetchOptions = { timeoutMs: 10_000, maxBytes: maxDocumentBytes };

/** Why a GET got no HTTP answer; the checks turn each into its own fix. */
export type PublicFetchFailure =
  'not-https' | 'dns' | 'refused' | 'unreachable' | 'timeout' | 'tls' | 'reset' | 'proxy' | 'too-large' | 'other';

export class PublicFetchError extends Error {
  readonly failure: PublicFetchFailure;
  readonly url: string;
  /** The system or OpenSSL code, e.g. ECONNREFUSED or UNABLE_TO_GET_ISSUER_CERT_LOCALLY. */
  readonly systemCode: string | undefined;

  constructor(
    url: string,
    failure: PublicFetchFailure,
    message: string,
    options: { cause?: unknown; systemCode?: string | undefined } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'PublicFetchError';
    this.url = url;
    this.failure = failure;
    this.systemCode = options.systemCode;
  }
}

/** What kind of network failure a GET met; the checks give each its own fix. */
function classify(error: Error): PublicFetchFailure {
  return classifyNetworkError(error) ?? 'other';
}

/**
 * A GET as STS makes it: anonymous (no credentials, no cookies), https only, no redirects followed,
 * one overall deadline, bounded in size. Rejects with a PublicFetchError that says what went wrong;
 * the caller turns it into a check.
 */
export function fetchPublic(url: string, options: PublicFetchOptions = defaultFetchOptions): Promise<PublicResponse> {
  return new Promise((resolve, reject) => {
    if (!url.startsWith('https://')) {
      reject(new PublicFetchError(url, 'not-https', `${url} is not https://; STS fetches over HTTPS only`));
      return;
    }
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      outcome();
    };
    const fail = (error: PublicFetchError): void => {
      settle(() => {
        reject(error);
      });
      req.destroy();
    };
    const req = request(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'irsa-issuer-verify' },
        // A fresh connection per GET, closed after it: a one-shot check has nothing to reuse, and a
        // pooled keep-alive socket would hold the process open after the report is printed.
        agent: new EgressHttpsAgent(options.egress ?? directEgress, {
          keepAlive: false,
          connectTimeoutMs: options.timeoutMs,
        }),
        ...(options.ca === undefined ? {} : { ca: trustedCas(options.ca) }),
      },
      (response) => {
        const declared = Number(response.headers['content-length'] ?? Number.NaN);
        if (declared > options.maxBytes) {
          fail(
            new PublicFetchError(
              url,
              'too-large',
              `${url} declares ${declared} bytes, more than the ${options.maxBytes} bytes a discovery document or ` +
                `JWKS can reasonably be`,
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            fail(
              new PublicFetchError(
                url,
                'too-large',
                `the response from ${url} is larger than ${options.maxBytes} bytes, more than a discovery document ` +
                  `or JWKS can reasonably be`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const location = response.headers.location;
          settle(() => {
            resolve({
              status: response.statusCode ?? 0,
              contentType: response.headers['content-type'],
              location: typeof location === 'string' ? location : undefined,
              body: Buffer.concat(chunks),
            });
          });
        });
        response.on('error', (error: NodeJS.ErrnoException) => {
          fail(
            new PublicFetchError(url, classify(error), `reading the response from ${url} failed: ${error.message}`, {
              cause: error,
              systemCode: error.code,
            }),
          );
        });
      },
    );
    const deadline = setTimeout(() => {
      fail(new PublicFetchError(url, 'timeout', `no complete answer from ${url} within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code;
      fail(
        new PublicFetchError(
          url,
          classify(error),
          `GET ${url} failed: ${code !== undefined && !error.message.includes(code) ? `${code}: ` : ''}${error.message}`,
          { cause: error, systemCode: code },
        ),
      );
    });
    req.end();
  });
}

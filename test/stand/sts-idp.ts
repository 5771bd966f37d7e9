/**
 * What STS asks of IAM and of the issuer before it trusts a token: the IAM OIDC provider for the
 * token's `iss` (in moto), then `<iss>/.well-known/openid-configuration` and its `jwks_uri`, fetched
 * anonymously over HTTPS, following no redirect, with the last certificate each host presents held
 * against the provider's thumbprints.
 */
import { GetOpenIDConnectProviderCommand, IAMClient, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import type { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { TLSSocket } from 'node:tls';
import { refusals, StsRefusal } from './sts-errors.js';

export interface OidcProvider {
  readonly arn: string;
  /** `HOST/PATH`, as IAM keeps it: the issuer without `https://`, and the prefix of condition keys. */
  readonly name: string;
  readonly clientIds: readonly string[];
  readonly thumbprints: readonly string[];
}

/** moto's IAM, answering as `account` (moto reads the account from this header; design.md "Real parts"). */
export function iamFor(endpoint: string, account: string): IAMClient {
  const iam = new IAMClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIASTSSTANDREADER00', secretAccessKey: 'sts-stand-reads-iam-only' },
    maxAttempts: 1,
  });
  iam.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = account;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return iam;
}

/**
 * The provider whose URL is exactly the token's `iss` without its scheme, trailing slash included:
 * STS matches `iss` exactly, and looks only in the account of the role being assumed.
 */
export async function findProvider(
  iam: IAMClient,
  partition: string,
  account: string,
  issuer: string,
): Promise<OidcProvider> {
  if (!issuer.startsWith('https://')) throw refusals.noProvider(issuer);
  const name = issuer.slice('https://'.length);
  const arn = `arn:${partition}:iam::${account}:oidc-provider/${name}`;
  const { OpenIDConnectProviderList = [] } = await iam.send(new ListOpenIDConnectProvidersCommand({}));
  if (!OpenIDConnectProviderList.some((provider) => provider.Arn === arn)) throw refusals.noProvider(issuer);
  const provider = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
  return {
    arn,
    name,
    clientIds: provider.ClientIDList ?? [],
    thumbprints: (provider.ThumbprintList ?? []).map((value) => value.toLowerCase()),
  };
}

export interface FetchOptions {
  /** CAs to trust: the test CA plays a CA that is not in AWS's library, so the thumbprint decides. */
  readonly ca: readonly string[];
  /** "latency of more than 5 seconds" fails the exchange (AWS knowledge center, iam-sts-invalididentitytoken). */
  readonly timeoutMs: number;
  /** The provider's thumbprints; undefined skips the check (a CA in AWS's trusted library). */
  readonly thumbprints: readonly string[] | undefined;
}

/** A guard for the stand itself; STS's own size limit for the documents is not documented. */
const maxDocumentBytes = 1024 * 1024;

/** Connection-level failures: the IdP "could not be reached". */
const unreachable = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** The certificates as the server sent them (OpenSSL's peer chain, no trust store involved), last one last. */
function lastPresented(socket: TLSSocket): X509Certificate | undefined {
  let last: X509Certificate | undefined;
  let certificate = socket.getPeerX509Certificate();
  for (let depth = 0; certificate !== undefined && depth < 16; depth += 1) {
    last = certificate;
    certificate = certificate.issuerCertificate;
  }
  return last;
}

/** One anonymous GET, parsed as JSON; every failure is the refusal STS would answer with. */
export async function fetchJson(url: string, options: FetchOptions): Promise<unknown> {
  if (!url.startsWith('https://')) throw refusals.noVerificationKey();
  const body = await new Promise<Buffer>((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'GET',
        ca: [...options.ca],
        agent: false,
        timeout: options.timeoutMs,
        headers: { accept: 'application/json' },
      },
      (response) => {
        const fail = (refusal: StsRefusal) => {
          response.destroy();
          reject(refusal);
        };
        const { socket } = response;
        const last = socket instanceof TLSSocket ? lastPresented(socket) : undefined;
        const thumbprint = last?.fingerprint.replaceAll(':', '').toLowerCase();
        if (
          options.thumbprints !== undefined &&
          (thumbprint === undefined || !options.thumbprints.includes(thumbprint))
        ) {
          fail(refusals.thumbprintMismatch());
          return;
        }
        // STS follows no redirect: a 3xx is as good as a 404.
        if (response.statusCode !== 200) {
          fail(refusals.noVerificationKey());
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxDocumentBytes) {
            fail(refusals.noVerificationKey());
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          resolve(Buffer.concat(chunks));
        });
        response.on('error', () => {
          reject(refusals.noVerificationKey());
        });
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy(refusals.noVerificationKey());
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof StsRefusal) {
        reject(error);
        return;
      }
      const code = error.code ?? '';
      if (unreachable.has(code)) {
        reject(refusals.idpUnreachable());
        return;
      }
      // A chain that does not verify against the CA the provider's thumbprint stands for.
      if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|ERR_TLS/.test(code)) {
        reject(refusals.thumbprintMismatch());
        return;
      }
      reject(refusals.noVerificationKey());
    });
    outgoing.end();
  });
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw refusals.noVerificationKey();
  }
}

/**
 * The discovery document, then the JWKS it names. OIDC Discovery strips the issuer's terminating
 * `/` before appending the well-known path.
 */
export async function fetchIssuerKeys(issuer: string, options: FetchOptions): Promise<unknown> {
  const discovery = await fetchJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, options);
  const jwksUri =
    typeof discovery === 'object' && discovery !== null ? (discovery as { jwks_uri?: unknown }).jwks_uri : undefined;
  if (typeof jwksUri !== 'string') throw refusals.noVerificationKey();
  return fetchJson(jwksUri, options);
}

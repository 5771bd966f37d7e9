/**
 * Tokens to present to STS: one minted by the API server stand exactly as a pod's projected token
 * is (TokenRequest over its TLS, as the admin), and hand-signed ones for what a cluster never
 * mints (an expired token, another key, a forged signature).
 */
import { sign, type KeyObject } from 'node:crypto';
import { request } from 'node:https';
import type { ApiServerStand } from './apiserver.js';

export interface ServiceAccount {
  readonly namespace: string;
  readonly name: string;
}

/** `POST .../serviceaccounts/NAME/token` against the stand; the token of the TokenRequest status. */
export async function requestToken(
  stand: ApiServerStand,
  serviceAccount: ServiceAccount,
  audience = 'sts.amazonaws.com',
  expirationSeconds = 600,
): Promise<string> {
  const admin = stand.tokens.admin?.token;
  if (admin === undefined) throw new Error('the API server stand has no admin token');
  const path = `/api/v1/namespaces/${encodeURIComponent(serviceAccount.namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount.name)}/token`;
  const body = JSON.stringify({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { audiences: [audience], expirationSeconds },
  });
  const text = await new Promise<string>((resolve, reject) => {
    const outgoing = request(
      `${stand.url}${path}`,
      {
        method: 'POST',
        ca: stand.caPem,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const answer = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode === 201) resolve(answer);
          else reject(new Error(`TokenRequest answered HTTP ${String(response.statusCode)}: ${answer}`));
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
  const token = (JSON.parse(text) as { status?: { token?: unknown } }).status?.token;
  if (typeof token !== 'string') throw new Error('TokenRequest returned no token');
  return token;
}

const hashes: Readonly<Record<string, string>> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS over `claims`, signed with `privateKey` for `header.alg` (RS* or ES*). */
export function signToken(
  privateKey: KeyObject,
  header: { readonly alg: string; readonly kid?: string },
  claims: object,
): string {
  const hash = hashes[header.alg];
  if (hash === undefined) throw new Error(`signToken signs RS256..ES512, not ${header.alg}`);
  const input = `${part(header)}.${part(claims)}`;
  const key = header.alg.startsWith('ES') ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  return `${input}.${sign(hash, Buffer.from(input), key).toString('base64url')}`;
}

/** The claims kube-apiserver puts in a service-account token, `exp` seconds from now (negative: expired). */
export function serviceAccountClaims(
  issuer: string,
  serviceAccount: ServiceAccount,
  expiresInSeconds: number,
  audience = 'sts.amazonaws.com',
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const lifetime = 600;
  return {
    aud: [audience],
    exp: now + expiresInSeconds,
    iat: now + expiresInSeconds - lifetime,
    iss: issuer,
    nbf: now + expiresInSeconds - lifetime,
    sub: `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`,
  };
}

/**
 * The invariant every fault must leave intact, read the way STS reads it: fetch
 * `<issuer>/.well-known/openid-configuration` anonymously, follow its `jwks_uri`, and accept a token
 * only if the key set there holds the signing key. A publisher may fail, or die, at any point, but
 * whatever it leaves behind must be either nothing or a discovery document that names this issuer
 * and a JWKS that exists, parses, holds every cluster key and no private half.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { discoveryPath, jwksPath } from './apiserver.js';

/** One document as a stranger fetches it; `undefined` when it is not there (404, or S3's 403 without ListBucket). */
export interface PublishedSource {
  readonly description: string;
  read(path: string): Promise<Uint8Array | undefined>;
}

/** A `file://` target: the directory a static web host serves at the issuer's URL. */
export function directorySource(directory: string): PublishedSource {
  return {
    description: directory,
    async read(path) {
      try {
        return await readFile(join(directory, path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}

/**
 * Unsigned GETs under `baseUrl`, as STS makes them: for a bucket on moto,
 * `${moto.endpoint}/BUCKET/PREFIX` (the objects must be public, as `bootstrap` makes them).
 */
export function anonymousHttpSource(baseUrl: string, options: { readonly ca?: string } = {}): PublishedSource {
  return {
    description: baseUrl,
    read: (path) =>
      new Promise((resolve, reject) => {
        const url = new URL(`${baseUrl.replace(/\/$/, '')}${path}`);
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        const request = send(
          url,
          { agent: false, ...(options.ca === undefined ? {} : { ca: options.ca }) },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.once('error', reject);
            response.once('end', () => {
              const status = response.statusCode ?? 0;
              if (status === 200) resolve(Buffer.concat(chunks));
              else if (status === 404 || status === 403) resolve(undefined);
              else reject(new Error(`GET ${url.href} answered HTTP ${String(status)}`));
            });
          },
        );
        request.setTimeout(10_000, () => request.destroy(new Error(`GET ${url.href}: no answer within 10 s`)));
        request.once('error', reject);
        request.end();
      }),
  };
}

export interface ExpectedIssuer {
  /** The public issuer URL, exactly as tokens carry it. */
  readonly issuer: string;
  /** The cluster's keys (the stand's `SigningKey`s fit): each must be published, same kid, same key. */
  readonly keys: readonly { readonly kid: string; readonly publicKey: KeyObject }[];
}

export interface PublishedState {
  /** A discovery document is there. Before the first run succeeds, none is, and that is allowed. */
  readonly published: boolean;
  /** What STS would trip over, or what leaks; empty when the invariant holds. */
  readonly violations: readonly string[];
}

/** JWK members that carry a private or symmetric key (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function parseJson(bytes: Uint8Array, what: string, violations: string[]): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch (error) {
    violations.push(`${what} is not JSON (${(error as Error).message})`);
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function thumbprintOf(jwk: unknown): Promise<string | undefined> {
  try {
    return await calculateJwkThumbprint(jwk as JWK);
  } catch {
    return undefined;
  }
}

async function checkKeySet(
  bytes: Uint8Array,
  where: string,
  expected: ExpectedIssuer | undefined,
  violations: string[],
): Promise<void> {
  const jwks = parseJson(bytes, `the JWKS at ${where}`, violations);
  if (jwks === undefined) return;
  const keys = isObject(jwks) && Array.isArray(jwks.keys) ? (jwks.keys as unknown[]) : undefined;
  if (keys === undefined) {
    violations.push(`the JWKS at ${where} has no "keys" array`);
    return;
  }
  const byKid = new Map<string, unknown>();
  for (const [index, key] of keys.entries()) {
    if (!isObject(key)) {
      violations.push(`key ${String(index)} of the JWKS at ${where} is not an object`);
      continue;
    }
    const kid = typeof key.kid === 'string' ? key.kid : `#${String(index)}`;
    const exposed = privateMembers.filter((member) => member in key);
    if (exposed.length > 0)
      violations.push(`key ${kid} of the JWKS at ${where} carries private members: ${exposed.join(', ')}`);
    if (byKid.has(kid)) violations.push(`kid ${kid} appears twice in the JWKS at ${where}`);
    byKid.set(kid, key);
  }
  for (const clusterKey of expected?.keys ?? []) {
    const published = byKid.get(clusterKey.kid);
    if (published === undefined) {
      violations.push(`the JWKS at ${where} lacks the cluster key ${clusterKey.kid}: STS would refuse its tokens`);
      continue;
    }
    const [publishedThumbprint, clusterThumbprint] = await Promise.all([
      thumbprintOf(published),
      thumbprintOf(clusterKey.publicKey.export({ format: 'jwk' })),
    ]);
    if (publishedThumbprint === undefined || publishedThumbprint !== clusterThumbprint) {
      violations.push(`the JWKS at ${where} lists kid ${clusterKey.kid} with other key material than the cluster's`);
    }
  }
}

/** Reads what a source publishes and lists every way it breaks the invariant. */
export async function checkPublished(source: PublishedSource, expected: ExpectedIssuer): Promise<PublishedState> {
  const violations: string[] = [];
  const discoveryBytes = await source.read(discoveryPath);
  if (discoveryBytes === undefined) {
    // Nothing a stranger can discover; a JWKS written before a failure must still not leak.
    const orphan = await source.read(jwksPath);
    if (orphan !== undefined) await checkKeySet(orphan, `${source.description}${jwksPath}`, undefined, violations);
    return { published: false, violations };
  }
  const discoveryAt = `${source.description}${discoveryPath}`;
  const discovery = parseJson(discoveryBytes, `the discovery document at ${discoveryAt}`, violations);
  if (discovery === undefined) return { published: true, violations };
  if (!isObject(discovery)) {
    violations.push(`the discovery document at ${discoveryAt} is not a JSON object`);
    return { published: true, violations };
  }
  if (discovery.issuer !== expected.issuer) {
    violations.push(
      `the discovery document at ${discoveryAt} names issuer ${JSON.stringify(discovery.issuer)}, not ${expected.issuer}`,
    );
  }
  const jwksUri = discovery.jwks_uri;
  if (typeof jwksUri !== 'string' || !jwksUri.startsWith(`${expected.issuer}/`) || !jwksUri.startsWith('https://')) {
    violations.push(
      `the discovery document at ${discoveryAt} names jwks_uri ${JSON.stringify(jwksUri)}, not an https:// URL under ${expected.issuer}`,
    );
    return { published: true, violations };
  }
  const relative = jwksUri.slice(expected.issuer.length);
  const jwksBytes = await source.read(relative);
  if (jwksBytes === undefined) {
    violations.push(
      `the discovery document at ${discoveryAt} names ${jwksUri}, which is not published: STS cannot fetch the keys`,
    );
    return { published: true, violations };
  }
  await checkKeySet(jwksBytes, `${source.description}${relative}`, expected, violations);
  return { published: true, violations };
}

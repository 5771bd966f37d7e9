import { ConfigError } from './errors.js';

/** A public issuer URL that has passed the rules STS and IAM apply to it. */
export interface Issuer {
  /** Exactly the string tokens carry in `iss` and the discovery document names. */
  readonly url: string;
  readonly host: string;
  /** `''` or `/path` (no trailing slash). */
  readonly path: string;
  /** What IAM calls the provider: `HOST/PATH`, no scheme; the suffix of its ARN. */
  readonly providerName: string;
  readonly discoveryUrl: string;
  readonly jwksUrl: string;
  /** Things that are legal but will hurt later (a port IAM refuses, say). */
  readonly warnings: readonly string[];
}

/** The audience (IAM client ID) IRSA tokens carry and the provider must list. */
export const defaultAudience = 'sts.amazonaws.com';

export const discoveryPath = '.well-known/openid-configuration';
export const jwksPath = 'openid/v1/jwks';

/**
 * Validates and describes the public issuer. The string must already be in canonical form: STS
 * compares `iss` byte for byte, so we refuse to silently "fix" case, default ports or dot segments.
 */
export function parseIssuer(raw: string): Issuer {
  const fix = 'Pass the public issuer as https://HOST[/PATH], e.g. https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod.';
  if (raw.trim() === '') throw new ConfigError(`The issuer is empty. ${fix}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`The issuer ${JSON.stringify(raw)} is not a URL. ${fix}`);
  }
  if (url.protocol !== 'https:') {
    throw new ConfigError(
      `The issuer ${raw} uses ${url.protocol.replace(':', '')}://; STS fetches discovery documents over https:// only. ${fix}`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigError(`The issuer ${raw} carries user info; OIDC issuers must not. ${fix}`);
  }
  if (url.search || raw.includes('?')) {
    throw new ConfigError(`The issuer ${raw} has a query string; OIDC issuers must not. ${fix}`);
  }
  if (url.hash || raw.includes('#')) {
    throw new ConfigError(`The issuer ${raw} has a fragment; OIDC issuers must not. ${fix}`);
  }
  if (raw.endsWith('/')) {
    throw new ConfigError(
      `The issuer ${raw} ends with a slash; tokens would then carry a different "iss" than IAM expects. Use ${raw.replace(/\/+$/, '')}.`,
    );
  }
  const path = url.pathname === '/' ? '' : url.pathname;
  const canonical = `${url.origin}${path}`;
  if (canonical !== raw) {
    throw new ConfigError(
      `The issuer ${raw} is not in canonical form (${canonical}); STS compares it byte for byte with the token's "iss". Use ${canonical}.`,
    );
  }
  const warnings: string[] = [];
  if (url.port) {
    warnings.push(
      `The issuer ${raw} names port ${url.port}: OIDC allows it, but IAM refuses provider URLs with a port and STS fetches on 443 only.`,
    );
  }
  return {
    url: raw,
    host: url.host,
    path,
    providerName: `${url.host}${path}`,
    discoveryUrl: `${raw}/${discoveryPath}`,
    jwksUrl: `${raw}/${jwksPath}`,
    warnings,
  };
}

export type Target =
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string; readonly region?: string }
  | { readonly kind: 'file'; readonly directory: string };

/** `s3://BUCKET[/PREFIX]` or `file://DIR` (absolute or relative). */
export function parseTarget(raw: string): Target {
  const s3 = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw);
  if (s3) {
    const bucket = s3[1] ?? '';
    const prefix = (s3[2] ?? '').replace(/\/+$/, '');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ConfigError(
        `The target ${raw} names ${JSON.stringify(bucket)}, which is not a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens).`,
      );
    }
    if (prefix.startsWith('/') || prefix.split('/').some((part) => part === '.' || part === '..')) {
      throw new ConfigError(`The target ${raw} has an empty, "." or ".." path segment; write the prefix as s3://BUCKET/a/b.`);
    }
    return { kind: 's3', bucket, prefix };
  }
  if (raw.startsWith('file://')) {
    const directory = raw.slice('file://'.length);
    if (directory === '') throw new ConfigError(`The target ${raw} names no directory; use file://DIR, e.g. file://./public.`);
    return { kind: 'file', directory };
  }
  throw new ConfigError(
    `The target ${JSON.stringify(raw)} is neither s3://BUCKET[/PREFIX] nor file://DIR.`,
  );
}

const s3VirtualHosted = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$/;

/**
 * The common case needs no --target: https://BUCKET.s3.REGION.amazonaws.com/PREFIX is served by that
 * very bucket. Returns undefined for any other issuer host.
 */
export function targetFromIssuer(issuer: Issuer): Target | undefined {
  const match = s3VirtualHosted.exec(issuer.host);
  if (!match) return undefined;
  const bucket = match[1] ?? '';
  const region = match[2] === undefined || match[2] === 'external-1' ? 'us-east-1' : match[2];
  if (bucket.includes('.')) {
    throw new ConfigError(
      `The issuer's bucket ${bucket} contains dots, so https://${issuer.host} fails TLS (S3's certificate covers one label only) and STS cannot fetch it. Use a bucket name without dots, or serve the bucket through CloudFront and pass --target s3://${bucket}/PREFIX.`,
    );
  }
  return { kind: 's3', bucket, prefix: issuer.path.replace(/^\//, ''), region };
}

/** The object key (or relative file path) of a document under a target prefix. */
export function objectKey(prefix: string, documentPath: string): string {
  return prefix === '' ? documentPath : `${prefix}/${documentPath}`;
}

export function describeTarget(target: Target): string {
  return target.kind === 's3' ? `s3://${target.bucket}${target.prefix ? `/${target.prefix}` : ''}` : `file://${target.directory}`;
}

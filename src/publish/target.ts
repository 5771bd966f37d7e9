import { ConfigError } from '../errors.js';
import type { Issuer } from '../issuer.js';

/** Where the documents are published: an S3 bucket and prefix, or a directory a web server serves. */
export type Target =
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string; readonly region?: string }
  | { readonly kind: 'file'; readonly directory: string };

const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://BUCKET[/PREFIX]` or `file://DIR` (absolute or relative). */
export function parseTarget(raw: string): Target {
  const s3 = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw);
  if (s3) {
    const bucket = s3[1] ?? '';
    const prefix = (s3[2] ?? '').replace(/\/+$/, '');
    if (!bucketName.test(bucket)) {
      throw new ConfigError(
        `The target ${raw} names ${JSON.stringify(bucket)}, which is not a valid S3 bucket name ` +
          '(3-63 lower-case letters, digits, dots and hyphens).',
      );
    }
    if (prefix.startsWith('/') || prefix.split('/').some((part) => part === '.' || part === '..')) {
      throw new ConfigError(
        `The target ${raw} has an empty, "." or ".." path segment; write the prefix as s3://BUCKET/a/b.`,
      );
    }
    return { kind: 's3', bucket, prefix };
  }
  if (raw.startsWith('file://')) return { kind: 'file', directory: fileDirectory(raw) };
  throw new ConfigError(`The target ${JSON.stringify(raw)} is neither s3://BUCKET[/PREFIX] nor file://DIR.`);
}

/**
 * `file:///abs/dir` and `file://localhost/abs/dir` (RFC 8089: an empty host and `localhost` are this
 * machine), percent-escapes decoded; a relative `file://./dir` is taken from the working directory.
 * `~` is not a shell here: refused rather than made into a directory named `~`.
 */
function fileDirectory(raw: string): string {
  const rest = raw.slice('file://'.length);
  const local = rest.startsWith('localhost/') ? rest.slice('localhost'.length) : rest;
  let directory: string;
  try {
    directory = decodeURIComponent(local);
  } catch {
    throw new ConfigError(`The target ${raw} has a malformed %-escape; write the directory as file:///abs/dir.`);
  }
  if (directory === '')
    throw new ConfigError(`The target ${raw} names no directory; use file://DIR, e.g. file://./public.`);
  if (directory === '~' || directory.startsWith('~/')) {
    throw new ConfigError(
      `The target ${raw} starts with ~, which no shell expands here; write the full path, e.g. file:///home/me/public.`,
    );
  }
  return directory;
}

const s3VirtualHosted = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$/;

/**
 * The common case needs no --target: https://BUCKET.s3.REGION.amazonaws.com/PREFIX (.amazonaws.com.cn in
 * China) is served by that
 * very bucket. Returns undefined for any other issuer host.
 */
export function targetFromIssuer(issuer: Issuer): Target | undefined {
  const match = s3VirtualHosted.exec(issuer.host);
  if (!match) return undefined;
  const bucket = match[1] ?? '';
  const region = match[2] === undefined || match[2] === 'external-1' ? 'us-east-1' : match[2];
  if (bucket.includes('.')) {
    throw new ConfigError(
      `The issuer's bucket ${bucket} contains dots, so https://${issuer.host} fails TLS (S3's certificate covers one ` +
        'label only) and STS cannot fetch it. Use a bucket name without dots, or serve the bucket through ' +
        `CloudFront and pass --target s3://${bucket}/PREFIX.`,
    );
  }
  return { kind: 's3', bucket, prefix: issuer.path.replace(/^\//, ''), region };
}

/** The object key (or relative file path) of a document under a target prefix. */
export function objectKey(prefix: string, documentPath: string): string {
  return prefix === '' ? documentPath : `${prefix}/${documentPath}`;
}

/** `s3://BUCKET/PREFIX` or `file://DIR`: how reports and errors name a target. */
export function describeTarget(target: Target): string {
  if (target.kind === 'file') return `file://${target.directory}`;
  return `s3://${target.bucket}${target.prefix ? `/${target.prefix}` : ''}`;
}

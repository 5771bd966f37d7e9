/**
 * Thumbprints given by hand (`--thumbprint HEX`, repeatable) instead of probed: people paste them
 * from `openssl x509 -fingerprint -sha1` (upper case, colon-separated) or from the AWS console.
 */
import { ConfigError } from '../errors.js';
import { maxThumbprints, thumbprintPattern } from '../iam/index.js';

const colonSeparated = /^[0-9a-f]{2}(?::[0-9a-f]{2}){19}$/i;

/** `AB:CD:…` or `abcd…` (SHA-1) to 40 lower-case hex, as IAM stores it. */
export function normaliseThumbprint(raw: string): string {
  const value = raw.trim().replace(/^sha1 fingerprint=/i, '');
  const digits = value.replaceAll(':', '').toLowerCase();
  if (thumbprintPattern.test(digits) && (!value.includes(':') || colonSeparated.test(value))) return digits;
  const hint = /^[0-9a-f]{64}$/.test(digits)
    ? ' That is a SHA-256 fingerprint; IAM wants SHA-1 (openssl x509 -fingerprint -sha1).'
    : '';
  throw new ConfigError(
    `The thumbprint ${JSON.stringify(raw)} is not a SHA-1 fingerprint: expected 40 hex digits, optionally ` +
      `colon-separated as openssl prints them.${hint} Run "irsa-issuer thumbprint <jwks_uri>" to compute it.`,
  );
}

/** Normalises every pinned value, drops repeats (keeping the first order), and enforces IAM's limit. */
export function normaliseThumbprints(raw: readonly string[]): string[] {
  const thumbprints = [...new Set(raw.map(normaliseThumbprint))];
  if (thumbprints.length > maxThumbprints) {
    throw new ConfigError(
      `${thumbprints.length} distinct thumbprints were pinned; IAM keeps at most ${maxThumbprints} per ` +
        `OIDC provider. ` +
        'Pin only the certificates the jwks_uri host can actually present.',
    );
  }
  return thumbprints;
}

import { ConfigError } from '../errors.js';
import type { DesiredProvider } from './provider.js';

/*
 * IAM's limits on an OIDC provider, checked before any call so a bad flag is a usage error (exit 2)
 * rather than an IAM failure halfway through a run.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const maxThumbprints = 5;
const maxClientIds = 100;
const maxClientIdLength = 255;
const maxTags = 50;
const maxTagKeyLength = 128;
const maxTagValueLength = 256;
/** SHA-1 of a certificate as IAM stores it: 40 lower-case hex. */
export const thumbprintPattern = /^[0-9a-f]{40}$/;

/** Keeps the first of each value, in order. */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Throws ConfigError naming the value and the limit when IAM would refuse the desired provider. */
export function validateDesiredProvider(desired: DesiredProvider): void {
  validateThumbprints(desired);
  validateProviderRequest(desired.clientIds, desired.tags);
}

function validateThumbprints(desired: DesiredProvider): void {
  const thumbprints = unique(desired.thumbprints);
  for (const thumbprint of thumbprints) {
    if (!thumbprintPattern.test(thumbprint)) {
      throw new ConfigError(
        `The thumbprint ${JSON.stringify(thumbprint)} is not 40 lower-case hex characters. IAM wants the SHA-1 of ` +
          `the last certificate the issuer's host presents; \`irsa-issuer thumbprint ${desired.issuer.url}\` ` +
          `computes it.`,
      );
    }
  }
  if (thumbprints.length === 0 || thumbprints.length > maxThumbprints) {
    throw new ConfigError(
      `An IAM OIDC provider holds 1 to ${maxThumbprints} thumbprints; ${thumbprints.length} were given. Pass between ` +
        `1 and ${maxThumbprints} --thumbprint values, or none to have them computed.`,
    );
  }
}

/**
 * The part of the provider known before any network call (client IDs and tags), checked up front so
 * that a value IAM would refuse is a usage error before anything is published, not after.
 */
export function validateProviderRequest(
  requestedClientIds: readonly string[],
  tags: Readonly<Record<string, string>>,
): void {
  const clientIds = unique(requestedClientIds);
  if (clientIds.length === 0) {
    throw new ConfigError(
      'No client ID (audience) was given; STS rejects every token whose "aud" the provider does not list. Pass at ' +
        'least one, e.g. sts.amazonaws.com.',
    );
  }
  if (clientIds.length > maxClientIds) {
    throw new ConfigError(
      `An IAM OIDC provider holds at most ${maxClientIds} client IDs (audiences); ${clientIds.length} were given.`,
    );
  }
  for (const clientId of clientIds) {
    if (clientId.length === 0 || clientId.length > maxClientIdLength) {
      throw new ConfigError(
        `The client ID ${JSON.stringify(clientId)} must be 1 to ${maxClientIdLength} characters long (IAM's limit).`,
      );
    }
  }

  const keys = Object.keys(tags);
  if (keys.length > maxTags) {
    throw new ConfigError(`An IAM resource holds at most ${maxTags} tags; ${keys.length} were given.`);
  }
  const seen = new Map<string, string>();
  for (const key of keys) {
    const value = tags[key] ?? '';
    if (key.length === 0 || key.length > maxTagKeyLength) {
      throw new ConfigError(
        `The tag key ${JSON.stringify(key)} must be 1 to ${maxTagKeyLength} characters long (IAM's limit).`,
      );
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw new ConfigError(`The tag key ${JSON.stringify(key)} starts with "aws:", which AWS reserves for itself.`);
    }
    if (value.length > maxTagValueLength) {
      throw new ConfigError(`The value of tag ${key} is longer than ${maxTagValueLength} characters (IAM's limit).`);
    }
    // IAM tag keys are unique regardless of case: `Team` and `team` are the same tag.
    const clash = seen.get(key.toLowerCase());
    if (clash !== undefined) {
      throw new ConfigError(`The tags ${clash} and ${key} differ only in case; IAM treats them as one key. Keep one.`);
    }
    seen.set(key.toLowerCase(), key);
  }
}

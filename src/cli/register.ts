import { Option, type Command } from 'commander';
import { defaultAudience, type Target } from '../config.js';
import { ConfigError } from '../errors.js';
import { createIamClient, iamRegionFor } from '../iam/client.js';
import type { ProviderApi } from '../iam/provider.js';
import type { RegisterOptions, JwksHostProbe } from '../run.js';
import { normaliseThumbprint, thumbprintFromUrl } from '../thumbprint/probe.js';
import { repeatable } from './options.js';
import type { StoreFlags } from './store.js';

export interface RegisterFlags {
  readonly audience: string[];
  readonly thumbprint: string[];
  readonly tag: string[];
  readonly pruneAudiences?: boolean;
}

export function addRegisterOptions(command: Command): Command {
  return command
    .addOption(repeatable('--audience <client-id>', `client ID the IAM OIDC provider must accept (repeatable; default ${defaultAudience})`))
    .addOption(repeatable('--thumbprint <sha1>', 'pin the provider\'s thumbprint(s) instead of probing the jwks_uri host over TLS (repeatable, 40 hex digits)'))
    .addOption(repeatable('--tag <key=value>', 'tag the IAM OIDC provider (repeatable); tags you did not ask for are kept'))
    .addOption(new Option('--prune-audiences', 'remove client IDs the provider lists but --audience does not (default: keep them)'));
}

export function parseTags(pairs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new ConfigError(`--tag ${JSON.stringify(pair)} is not KEY=VALUE (e.g. --tag cluster=prod).`);
    tags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return tags;
}

export function registerOptionsFrom(flags: RegisterFlags): RegisterOptions {
  return {
    audiences: flags.audience.length > 0 ? flags.audience : [defaultAudience],
    pinnedThumbprints: flags.thumbprint.map(normaliseThumbprint),
    tags: parseTags(flags.tag),
    pruneAudiences: flags.pruneAudiences === true,
  };
}

/** IAM is global; the bucket's region only decides the partition (aws, aws-cn, aws-us-gov). */
export function iamClientFor(target: Target, flags: StoreFlags): ProviderApi {
  return createIamClient({ region: iamRegionFor(flags.region ?? (target.kind === 's3' ? target.region : undefined)) });
}

export const probeJwksHost: JwksHostProbe = (url) => thumbprintFromUrl(url);

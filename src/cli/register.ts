import { Option, type Command } from 'commander';
import type { Egress } from '../egress/index.js';
import { ConfigError } from '../errors.js';
import { createIamClient, iamRegionFor, validateProviderRequest } from '../iam/index.js';
import type { Logger } from '../log.js';
import type { Target } from '../publish/index.js';
import type { Registration } from '../sync.js';
import { normaliseThumbprints, thumbprintFromUrl } from '../thumbprint/index.js';
import { addAudienceOption, repeatable } from './options.js';
import type { StoreFlags } from './store.js';

export interface RegisterFlags {
  readonly thumbprint: string[];
  readonly tag: string[];
  readonly pruneAudiences?: boolean;
  readonly pruneThumbprints?: boolean;
}

export function addRegisterOptions(command: Command): Command {
  addAudienceOption(command, 'client ID the IAM OIDC provider must accept');
  return command
    .addOption(
      repeatable(
        '--thumbprint <sha1>',
        "pin the provider's thumbprint(s) instead of probing the jwks_uri host over TLS (repeatable, 40 hex digits)",
      ),
    )
    .addOption(
      repeatable('--tag <key=value>', 'tag the IAM OIDC provider (repeatable); tags you did not ask for are kept'),
    )
    .addOption(
      new Option(
        '--prune-audiences',
        'remove client IDs the provider lists but --audience does not (default: keep them)',
      ),
    )
    .addOption(
      new Option(
        '--prune-thumbprints',
        "remove thumbprints the provider lists but this run does not want (default: keep them, within IAM's five)",
      ),
    );
}

function parseTags(pairs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new ConfigError(`--tag ${JSON.stringify(pair)} is not KEY=VALUE (e.g. --tag cluster=prod).`);
    tags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return tags;
}

/** What registering needs: the flags, an IAM client and the TLS probe of the jwks_uri host. */
export function registrationFrom(
  flags: RegisterFlags & StoreFlags,
  target: Target,
  audiences: readonly string[],
  logger: Logger,
  egress?: Egress,
): Registration {
  const tags = parseTags(flags.tag);
  validateProviderRequest(audiences, tags);
  return {
    pinnedThumbprints: normaliseThumbprints(flags.thumbprint),
    tags,
    pruneAudiences: flags.pruneAudiences === true,
    pruneThumbprints: flags.pruneThumbprints === true,
    // IAM is global; the bucket's region only decides the partition (aws, aws-cn, aws-us-gov).
    provider: createIamClient({
      logger,
      ...(egress === undefined ? {} : { egress }),
      region: iamRegionFor(flags.region ?? (target.kind === 's3' ? target.region : undefined)),
    }),
    probe: (url) => thumbprintFromUrl(url, egress === undefined ? {} : { egress }),
  };
}

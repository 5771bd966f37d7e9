/** The accounts a command works in, from `--account-role` and `--no-home-account` (options.ts declares them). */
import { assumedAccount, createStsClient, homeAccount, parseAccountRoles, type Account } from '../accounts/index.js';
import { ConfigError } from '../errors.js';
import type { Egress } from '../egress/index.js';
import type { ProviderApi } from '../iam/index.js';
import { partitionOf } from '../partition.js';
import type { Logger } from '../log.js';
import type { AccountFlags } from './options.js';

/**
 * The accounts to work in, or undefined for the home account alone (no --account-role). `region`
 * is where IAM and STS are asked: the partition's IAM region.
 */
export async function accountsFrom(
  flags: AccountFlags,
  home: ProviderApi,
  region: string,
  logger: Logger,
  egress?: Egress,
): Promise<readonly Account[] | undefined> {
  if (flags.accountRole.length === 0) {
    if (!flags.homeAccount) {
      throw new ConfigError(
        '--no-home-account leaves no account to work in: pass --account-role ARN for each account, or drop it.',
      );
    }
    return undefined;
  }
  const roles = parseAccountRoles(flags.accountRole, partitionOf(region));
  const options = { logger, region, ...(egress === undefined ? {} : { egress }) };
  const sts = await createStsClient(options);
  const assumed = roles.map((role) => assumedAccount(role, sts, options));
  return flags.homeAccount ? [homeAccount(home), ...assumed] : assumed;
}

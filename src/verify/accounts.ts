/**
 * `verify --account-role`: the IAM checks (provider, thumbprint, audience) again in each account
 * the cluster's roles live in, through the role that account's registrar gives. STS looks the
 * provider up in the account of the role a token is exchanged for, so each account must pass.
 */
import { forEachBounded, accountConcurrency, type Account } from '../accounts/index.js';
import { describeCause, isIrsaIssuerError } from '../errors.js';
import { withDeadline } from '../iam/index.js';
import type { Issuer } from '../issuer.js';
import { failed, skipped, type Check } from './check.js';
import { checkAudience, checkProvider, checkThumbprint, type Probe } from './provider.js';

export interface AccountVerification {
  /** The account's ID (or `home`). */
  readonly account: string;
  readonly roleArn?: string;
  /** provider, thumbprint, audience: as for the home account. */
  readonly checks: readonly Check[];
  /** The provider's ARN in this account, when it exists. */
  readonly providerArn?: string;
}

/** The same probe answer for every account: the jwks_uri host presents one chain to all of them. */
export function probeOnce(probe: Probe): Probe {
  let kept: ReturnType<Probe> | undefined;
  return (target, options) => {
    kept ??= probe(target, options);
    return kept;
  };
}

/** A missing provider's fix, for an account sync reaches through its role: say how sync is told to. */
function inAccount(check: Check, account: Account): Check {
  if (check.status !== 'failed' || check.fix === undefined || account.roleArn === undefined) return check;
  return {
    ...check,
    fix:
      `${check.fix} For this account, sync needs --account-role ${account.roleArn} (chart value ` +
      'aws.accountRoles), so that it keeps the provider there from then on.',
  };
}

async function verifyAccount(
  account: Account,
  context: {
    readonly issuer: Issuer;
    readonly audiences: readonly [string, ...string[]];
    readonly jwksUri: string | undefined;
    readonly probe: Probe;
    readonly timeoutMs: number;
  },
): Promise<AccountVerification> {
  const { issuer, audiences, jwksUri, probe, timeoutMs } = context;
  const where = { account: account.label, ...(account.roleArn === undefined ? {} : { roleArn: account.roleArn }) };
  const signal = AbortSignal.timeout(timeoutMs);
  let api;
  try {
    api = await account.connect(signal);
  } catch (error) {
    const message = isIrsaIssuerError(error) ? error.message : describeCause(error);
    const fix =
      `Let the base credentials assume ${account.roleArn ?? 'the role'}: the role must exist in account ` +
      `${account.label} and trust them (README, "Many accounts").`;
    return {
      ...where,
      checks: [
        failed('provider', `could not get into account ${account.label}: ${message}`, fix),
        skipped('thumbprint', 'not run: no way into the account'),
        skipped('audience', 'not run: no way into the account'),
      ],
    };
  }
  const provider = await checkProvider(issuer, audiences[0], withDeadline(api, signal));
  const actual = provider.value;
  const checks: Check[] = [inAccount(provider.check, account)];
  if (actual === undefined) {
    checks.push(skipped('thumbprint', 'not run: there is no provider to compare with'));
    checks.push(skipped('audience', 'not run: there is no provider to compare with'));
    return { ...where, checks };
  }
  if (jwksUri === undefined) {
    checks.push(skipped('thumbprint', 'not run: the discovery document names no https:// jwks_uri to probe'));
  } else {
    checks.push((await checkThumbprint(issuer, actual, jwksUri, probe, timeoutMs)).check);
  }
  checks.push(checkAudience(issuer, actual, audiences));
  return { ...where, checks, providerArn: actual.arn };
}

/** Every account's checks, a few accounts at a time, in the order given. */
export async function verifyAccounts(
  accounts: readonly Account[],
  context: Parameters<typeof verifyAccount>[1],
): Promise<AccountVerification[]> {
  return forEachBounded(accounts, accountConcurrency, (account) => verifyAccount(account, context));
}

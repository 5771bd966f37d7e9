/**
 * The accounts a run keeps the provider right in: the home account (the base credentials) and one
 * per `--account-role`. Each is independent: its own credentials, its own deadline, its own line of
 * the report; a few at a time, so a long list neither waits in series nor bursts IAM's throttling.
 */
import type { ProviderApi } from '../iam/index.js';
import { accountIamClient, accountSession, type AssumeApi } from './session.js';
import type { AccountRole } from './role.js';
import type { AwsClientOptions } from '../aws-client.js';

/** How many accounts are worked on at once. */
export const accountConcurrency = 4;

/** The label of the base credentials' account: its ID is not known without asking STS. */
export const homeAccountLabel = 'home';

export interface Account {
  /** `home`, or the 12-digit ID of an assumed role's account. */
  readonly label: string;
  /** The role assumed to get there; absent for the home account. */
  readonly roleArn?: string;
  /** The IAM client for this account, once STS has let the run in (a no-op at home). */
  connect(signal?: AbortSignal): Promise<ProviderApi>;
}

export function homeAccount(provider: ProviderApi): Account {
  return { label: homeAccountLabel, connect: () => Promise.resolve(provider) };
}

/** An account reached by assuming `role`; the client and its credentials live as long as the Account. */
export function assumedAccount(
  role: AccountRole,
  sts: AssumeApi,
  options: AwsClientOptions & { readonly region: string; readonly endpoint?: string },
): Account {
  const session = accountSession(role, sts);
  let iam: Promise<ProviderApi> | undefined;
  return {
    label: role.account,
    roleArn: role.roleArn,
    async connect(signal) {
      // Asked here, not on the first IAM call, so a refusal is reported as STS's, naming the role.
      await session.credentials(signal);
      iam ??= accountIamClient(session, options);
      return iam;
    },
  };
}

/** `work` for every item, at most `limit` at once; the results in the items' order. */
export async function forEachBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

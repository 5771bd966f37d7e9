/**
 * Everything a run reads, started at once. Each read needs only the flags (the issuer, the target,
 * the provider's account), not another read's answer, so a no-op sync is a few waves of requests
 * rather than a queue of a dozen (issue 12; design.md "Corrections": at most 3 sequential waves on
 * its critical path): the two API-server GETs (cluster/), the S3 reads, the IAM provider read
 * (list, then get), and the TLS probe of the jwks_uri host. Nothing here writes; each stage still
 * awaits what it needs in the recipe's order, so every guard runs, and every write happens, as
 * before. A run that stops early ends the reads it no longer needs (`stop`).
 */
import { readProviderAhead, withDeadline, type ActualProvider } from './iam/index.js';
import { publishedKeys, readAheadStore, type ObjectStore } from './publish/index.js';
import type { Registration, SyncRequest } from './sync.js';

export interface ReadAhead {
  /** The store, its first read of each published key already in flight. */
  readonly store: ObjectStore;
  /** Registration with its TLS probe already in flight (absent: `--no-register`). */
  readonly register?: Registration;
  /** The IAM provider read in flight, for the register stage. */
  readonly provider?: Promise<ActualProvider | undefined>;
  /** Ends whatever is still in flight; harmless once everything was used. */
  stop(): void;
}

export function startReads(request: SyncRequest, store: ObjectStore): ReadAhead {
  // No deadline of their own: each stage races what it awaits against its own deadline, so a read
  // that never answers fails the stage that needs it with that stage's message, and `stop` (the
  // run's end, however it ends) cancels whatever is still in flight.
  const controller = new AbortController();
  const { signal } = controller;
  const stop = () => {
    controller.abort();
  };
  const aheadStore = readAheadStore(store, publishedKeys, signal);
  const { register, issuer } = request;
  if (register === undefined) return { store: aheadStore, stop };

  // --no-home-account: the base credentials' account is left out, so its provider is not read.
  const homeIncluded = register.accounts?.some((account) => account.roleArn === undefined) ?? true;
  const provider = homeIncluded
    ? readProviderAhead({ issuer, tags: register.tags }, withDeadline(register.provider, signal))
    : undefined;
  const ahead = provider === undefined ? {} : { provider };
  if (register.pinnedThumbprints.length > 0) return { store: aheadStore, register, ...ahead, stop };
  const probed = register.probe(issuer.jwksUrl);
  probed.catch(() => undefined);
  const probe: Registration['probe'] = (url) => (url === issuer.jwksUrl ? probed : register.probe(url));
  return { store: aheadStore, register: { ...register, probe }, ...ahead, stop };
}

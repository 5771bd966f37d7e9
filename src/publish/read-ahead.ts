import type { ObjectStore, StoredObject } from './store.js';

/**
 * The store, with the reads the publish stage starts with already in flight: a run starts them
 * with the cluster read instead of after it (a no-op sync is a few waves of reads, not a queue of
 * them). Only the first read of each key is served from the read-ahead; a re-read after a lost
 * conditional write goes to the store, so it sees what the other writer wrote. Writes go straight
 * through. `signal` bounds the read-ahead (the publish stage's deadline, and the run's end).
 */
export function readAheadStore(store: ObjectStore, keys: readonly string[], signal: AbortSignal): ObjectStore {
  const pending = new Map<string, Promise<StoredObject | undefined>>();
  for (const key of keys) {
    const read = store.get(key, signal);
    // Awaited by the publish stage, or never when an earlier stage fails: not an unhandled rejection.
    read.catch(() => undefined);
    pending.set(key, read);
  }
  return {
    description: store.description,
    get(key, getSignal) {
      const read = pending.get(key);
      if (read === undefined) return store.get(key, getSignal);
      pending.delete(key);
      return read;
    },
    put: (write, putSignal) => store.put(write, putSignal),
  };
}

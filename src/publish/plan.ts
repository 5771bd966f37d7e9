import { PublishConflictError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ObjectStore, ObjectWrite, StoredObject } from './store.js';

/** One public document as it should be published. */
export interface DesiredObject {
  /** Relative to the target, e.g. `openid/v1/jwks`. */
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly cacheControl: string;
}

/**
 * Why an object is written: it is missing, its bytes differ, or only its headers do (an object
 * uploaded by hand without Cache-Control, say).
 */
export type WriteReason = 'create' | 'update-content' | 'update-metadata';

export interface PlannedWrite extends ObjectWrite {
  readonly reason: WriteReason;
}

export interface PublishPlan {
  /** In the order they must happen: the JWKS before the discovery document that names it. Empty: no changes. */
  readonly writes: readonly PlannedWrite[];
  /** Keys already exactly as desired. */
  readonly unchanged: readonly string[];
}

/**
 * Compares what should be published with what is there, object by object, keeping the caller's
 * order. Pure: the same inputs always give the same plan, and a plan computed against the result
 * of applying it is empty.
 */
export function planPublish(
  desired: readonly DesiredObject[],
  actual: ReadonlyMap<string, StoredObject | undefined>,
): PublishPlan {
  const writes: PlannedWrite[] = [];
  const unchanged: string[] = [];
  for (const object of desired) {
    const write = planObject(object, actual.get(object.key));
    if (write) writes.push(write);
    else unchanged.push(object.key);
  }
  return { writes, unchanged };
}

/** The write that turns `actual` into `desired`, or undefined when it already is. */
function planObject(desired: DesiredObject, actual: StoredObject | undefined): PlannedWrite | undefined {
  const { key, body, contentType, cacheControl } = desired;
  if (actual === undefined) {
    return { key, body, contentType, cacheControl, condition: { ifNoneMatch: '*' }, reason: 'create' };
  }
  let reason: WriteReason;
  if (!sameBytes(actual.body, body)) reason = 'update-content';
  // Undefined: the store keeps no such header (a directory), so there is nothing to compare.
  else if (
    (actual.contentType !== undefined && actual.contentType !== contentType) ||
    (actual.cacheControl !== undefined && actual.cacheControl !== cacheControl)
  ) {
    reason = 'update-metadata';
  } else return undefined;
  return { key, body, contentType, cacheControl, condition: { ifMatch: actual.etag }, reason };
}

/**
 * The current state of every key, undefined where nothing is stored. Read concurrently; when reads
 * fail, the error of the first key in order is thrown, so the same failure gives the same message.
 */
export async function readActual(
  store: ObjectStore,
  keys: readonly string[],
  signal?: AbortSignal,
): Promise<ReadonlyMap<string, StoredObject | undefined>> {
  const results = await Promise.allSettled(keys.map((key) => store.get(key, signal)));
  const actual = new Map<string, StoredObject | undefined>();
  for (const [index, result] of results.entries()) {
    if (result.status === 'rejected') throw result.reason;
    actual.set(keys[index] ?? '', result.value);
  }
  return actual;
}

export interface AppliedPublish {
  /** The writes made, in order, each with the condition that finally held. */
  readonly written: readonly PlannedWrite[];
  /** Planned writes found already done by another writer, byte for byte, after a conflict. */
  readonly writtenByOther: readonly string[];
}

export interface ApplyOptions {
  readonly log?: Logger;
  readonly signal?: AbortSignal;
  /** Told of each write as it lands, so a failure later in the plan still knows what was written. */
  readonly onWritten?: (write: PlannedWrite) => void;
  /**
   * Sees an object re-read after a conflict, before it is replaced: the other writer's content
   * has not passed the guards the first read did (another cluster's issuer or keys?). Throw to refuse.
   */
  readonly recheck?: (key: string, current: StoredObject | undefined) => void;
}

/**
 * Makes the plan's writes one after another, in order, so the discovery document never names a
 * JWKS that is not there yet; a failure stops the run before the writes after it.
 *
 * Every write is conditional. When the condition fails, another writer got in between: re-read
 * that object, plan it again (maybe the other writer wrote exactly our bytes, and we are done) and
 * retry once. A second conflict means someone keeps writing the same target, which retrying
 * would only turn into a silent tug of war.
 */
export async function applyPublish(
  plan: PublishPlan,
  store: ObjectStore,
  options: ApplyOptions = {},
): Promise<AppliedPublish> {
  const written: PlannedWrite[] = [];
  const writtenByOther: string[] = [];
  for (const planned of plan.writes) {
    let write = planned;
    for (let attempt = 1; ; attempt++) {
      if ((await store.put(write, options.signal)) === 'written') {
        options.log?.debug({ key: write.key, reason: write.reason, target: store.description }, 'wrote object');
        written.push(write);
        options.onWritten?.(write);
        break;
      }
      if (attempt === 2) {
        throw new PublishConflictError(
          `Writing ${write.key} to ${store.description} conflicted twice: another writer is publishing to the ` +
            `same target ` +
            'and changed the object between our read and our write, again after a re-read. Is a second ' +
            'CronJob or daemon ' +
            'running, or do two clusters share this prefix? Give each issuer its own target, and run one publisher ' +
            'per target.',
        );
      }
      options.log?.warn(
        { key: write.key, target: store.description },
        'object changed since it was read; re-reading and retrying once',
      );
      const current = await store.get(write.key, options.signal);
      options.recheck?.(write.key, current);
      const replanned = planObject(write, current);
      if (replanned === undefined) {
        writtenByOther.push(write.key);
        break;
      }
      write = replanned;
    }
  }
  return { written, writtenByOther };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let index = 0; index < a.byteLength; index++) {
    if (a[index] !== b[index]) return false;
  }
  return true;
}

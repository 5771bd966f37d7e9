import { documentContentType, withoutKeys, type BuiltDocuments } from '../documents/index.js';
import { GuardError } from '../errors.js';
import { discoveryPath, exposedKidsPath, jwksPath, type Issuer } from '../issuer.js';
import type { Logger } from '../log.js';
import type { StageOutcome } from '../report.js';
import { exposedKeyError, exposedRecordBytes, leakedKids, readExposedRecord, type ExposedRecord } from './exposed.js';
import { checkKeyContinuity, checkPublishedIssuer } from './guards.js';
import { applyPublish, planPublish, readActual, type DesiredObject } from './plan.js';
import type { ObjectStore, StoredObject } from './store.js';

/** What the publish stage reads before it plans, in this order (the exposed-kids record, JWKS, discovery). */
export const publishedKeys: readonly string[] = [exposedKidsPath, jwksPath, discoveryPath];

export interface PublishRequest {
  readonly issuer: Issuer;
  readonly documents: BuiltDocuments;
  readonly cacheControl: string;
  readonly allowKeyReplacement: boolean;
  /** `--trust-exposed-key`: kids published again although once exposed, and taken off the record. */
  readonly trustExposedKeys?: readonly string[];
  readonly dryRun: boolean;
  /** When an exposure is first recorded; the clock by default. */
  readonly now?: () => Date;
}

export interface Published {
  /** Keys written by this run (or, on a dry run, that would be), in the order written. */
  readonly written: readonly string[];
}

/**
 * A guard that refuses after this run already wrote (another writer's content, seen after a lost
 * conditional write) must not say "Nothing was written": the same refusal, with what was.
 */
function afterWrites(refusal: GuardError, landed: readonly string[]): GuardError {
  const message = refusal.message.replace(
    'Nothing was written.',
    `This run had already written ${landed.join(' and ')} before it saw that; it wrote nothing after.`,
  );
  const Refusal = refusal.constructor as new (message: string, options: { cause: unknown }) => GuardError;
  return new Refusal(message, { cause: refusal });
}

/** The two objects a target holds, in the order they must be written: JWKS first. */
function desiredObjects(documents: BuiltDocuments, cacheControl: string): DesiredObject[] {
  return [
    { key: jwksPath, body: documents.jwksBytes, contentType: documentContentType, cacheControl },
    { key: discoveryPath, body: documents.discoveryBytes, contentType: documentContentType, cacheControl },
  ];
}

/** Nobody should cache the record: a run must see the one the run before it wrote. */
const exposedRecordCacheControl = 'no-store';

/**
 * Which kids must not be published: those the record holds and those the published JWKS leaks now,
 * less the ones the user trusts again. Undefined when there is nothing to record and no record.
 */
function exposure(
  request: PublishRequest,
  publishedJwks: Uint8Array | undefined,
  record: ExposedRecord | undefined,
): ExposedRecord | undefined {
  const trusted = new Set(request.trustExposedKeys ?? []);
  const kids = [...new Set([...(record?.kids ?? []), ...leakedKids(publishedJwks)])]
    .filter((kid) => !trusted.has(kid))
    .sort();
  if (record === undefined && kids.length === 0) return undefined;
  return { kids, since: record?.since ?? (request.now ?? (() => new Date()))().toISOString() };
}

/**
 * The one way documents reach a target, for every command that writes them: read what is there,
 * run the publish-time guards on it (another issuer's prefix, a key set that shares no key with
 * ours), then write only what differs, JWKS first. Every guard runs before the first write; a dry
 * run writes nothing.
 *
 * One guard fails after writing: a key whose private half was published (now, or in an earlier run,
 * as the exposed-kids record says) is left out of what is published, and while the cluster still
 * lists it the run fails with ExposedKeyError once the clean set is out (design.md, "Corrections to
 * open issues": removing the exposure cannot wait, and nobody may miss that the key is compromised).
 */
export async function publishDocuments(
  request: PublishRequest,
  store: ObjectStore,
  log: Logger,
  signal?: AbortSignal,
  onChange?: (change: string) => void,
): Promise<StageOutcome<Published>> {
  const { issuer } = request;
  const actual = await readActual(store, publishedKeys, signal);
  const where = (key: string) => `${store.description}/${key}`;
  // Continuity is a question about the cluster's keys, exposed or not: is this the right cluster?
  const guard = (key: string, current: StoredObject | undefined): string | undefined => {
    if (key === discoveryPath) checkPublishedIssuer(issuer, current?.body, where(key));
    if (key !== jwksPath) return undefined;
    return checkKeyContinuity(request.documents.jwks, current?.body, where(key), request.allowKeyReplacement);
  };
  const warnings = [...actual].flatMap(([key, current]) => guard(key, current) ?? []);

  const record = readExposedRecord(actual.get(exposedKidsPath)?.body, where(exposedKidsPath));
  const exposed = exposure(request, actual.get(jwksPath)?.body, record);
  const exposedKids = new Set(exposed?.kids);
  const documents = withoutKeys(issuer, request.documents, exposedKids);
  const clusterKids = request.documents.jwks.keys.map((key) => key.kid);
  const listed = clusterKids.filter((kid) => exposedKids.has(kid));
  const notes = [...exposedKids]
    .filter((kid) => !listed.includes(kid))
    .map((kid) => `kid ${kid} was exposed (recorded since ${exposed?.since ?? ''}) and stays unpublished`);
  const failIfListed = () => {
    if (listed.length > 0)
      throw exposedKeyError(issuer, listed, { jwks: where(jwksPath), record: where(exposedKidsPath) });
  };
  // The record first: were it written after the clean JWKS and then lost, the next run would find
  // nothing exposed and publish the key again.
  const desired = [
    ...(exposed === undefined
      ? []
      : [
          {
            key: exposedKidsPath,
            body: exposedRecordBytes(exposed),
            contentType: documentContentType,
            cacheControl: exposedRecordCacheControl,
          },
        ]),
    ...desiredObjects(documents, request.cacheControl),
  ];
  // A record with the same kids is left as it is, whatever its headers.
  const plan = planPublish(
    desired.filter((object) => object.key !== exposedKidsPath || !sameKids(record, exposed)),
    actual,
  );
  if (plan.writes.length === 0) {
    failIfListed();
    const summary = 'both documents already up to date';
    return { value: { written: [] }, status: 'unchanged', summary, notes, warnings };
  }
  if (request.dryRun) {
    const changes = plan.writes.map((write) => `${write.reason} ${where(write.key)}`);
    if (listed.length > 0) for (const change of changes) onChange?.(change);
    failIfListed();
    const summary = `${changes.length} object(s) to write`;
    const written = plan.writes.map((write) => write.key);
    return { value: { written }, status: 'planned', summary, changes, notes, warnings };
  }
  // Another writer's content, seen only after a conflict, passes the same guards before we replace it.
  const landed: string[] = [];
  const applied = await applyPublish(plan, store, {
    log,
    ...(signal === undefined ? {} : { signal }),
    onWritten: (write) => {
      landed.push(where(write.key));
      onChange?.(`${write.reason} ${where(write.key)}`);
    },
    recheck: (key, current) => {
      try {
        guard(key, current);
      } catch (error) {
        throw error instanceof GuardError && landed.length > 0 ? afterWrites(error, landed) : error;
      }
    },
  });
  const changes = [
    ...applied.written.map((write) => `${write.reason} ${where(write.key)}`),
    ...applied.writtenByOther.map((key) => `already written by another publisher: ${where(key)}`),
  ];
  const written = applied.written.map((write) => write.key);
  log.info({ written }, 'published');
  failIfListed();
  if (written.length === 0) {
    const summary = 'both documents already up to date';
    return { value: { written }, status: 'unchanged', summary, changes, notes, warnings };
  }
  return {
    value: { written },
    status: 'changed',
    summary: `${changes.length} object(s) written`,
    changes,
    notes,
    warnings,
  };
}

function sameKids(record: ExposedRecord | undefined, exposed: ExposedRecord | undefined): boolean {
  if (record === undefined || exposed === undefined) return record === exposed;
  const kids = new Set(record.kids);
  return kids.size === exposed.kids.length && exposed.kids.every((kid) => kids.has(kid));
}

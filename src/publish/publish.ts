import { documentContentType, type BuiltDocuments } from '../documents/index.js';
import { discoveryPath, jwksPath, type Issuer } from '../issuer.js';
import { GuardError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StageOutcome } from '../report.js';
import { checkKeyContinuity, checkPublishedIssuer } from './guards.js';
import { applyPublish, planPublish, readActual, type DesiredObject } from './plan.js';
import type { ObjectStore, StoredObject } from './store.js';

/** Short enough that a rotated key reaches STS within minutes, long enough to spare the host. */
export const defaultCacheControl = 'max-age=300';

export interface PublishRequest {
  readonly issuer: Issuer;
  readonly documents: BuiltDocuments;
  readonly cacheControl: string;
  readonly allowKeyReplacement: boolean;
  readonly dryRun: boolean;
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

/**
 * The one way documents reach a target, for every command that writes them: read what is there,
 * run the publish-time guards on it (another issuer's prefix, a key set that shares no key with
 * ours), then write only what differs, JWKS first. Every guard runs before the first write; a dry
 * run writes nothing.
 */
export async function publishDocuments(
  request: PublishRequest,
  store: ObjectStore,
  log: Logger,
  signal?: AbortSignal,
  onChange?: (change: string) => void,
): Promise<StageOutcome<Published>> {
  const { issuer, documents } = request;
  const desired = desiredObjects(documents, request.cacheControl);
  const actual = await readActual(
    store,
    desired.map((object) => object.key),
    signal,
  );
  const where = (key: string) => `${store.description}/${key}`;
  const guard = (key: string, current: StoredObject | undefined): string | undefined => {
    if (key === discoveryPath) checkPublishedIssuer(issuer, current?.body, where(key));
    if (key !== jwksPath) return undefined;
    return checkKeyContinuity(documents.jwks, current?.body, where(key), request.allowKeyReplacement);
  };
  const warnings = [...actual].flatMap(([key, current]) => guard(key, current) ?? []);

  const plan = planPublish(desired, actual);
  if (plan.writes.length === 0) {
    return { value: { written: [] }, status: 'unchanged', summary: 'both documents already up to date', warnings };
  }
  if (request.dryRun) {
    const changes = plan.writes.map((write) => `${write.reason} ${where(write.key)}`);
    const summary = `${changes.length} object(s) to write`;
    return { value: { written: plan.writes.map((write) => write.key) }, status: 'planned', summary, changes, warnings };
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
  if (written.length === 0) {
    return { value: { written }, status: 'unchanged', summary: 'both documents already up to date', changes, warnings };
  }
  return { value: { written }, status: 'changed', summary: `${changes.length} object(s) written`, changes, warnings };
}

import { describe, expect, it } from 'vitest';
import { discoveryPath, jwksPath } from '../../src/issuer.js';
import { planPublish, type DesiredObject, type PublishPlan } from '../../src/publish/plan.js';
import type { StoredObject } from '../../src/publish/store.js';

const bytes = (text: string) => new TextEncoder().encode(text);

const jwks: DesiredObject = {
  key: jwksPath,
  body: bytes('{"keys":[{"kid":"a"}]}'),
  contentType: 'application/json',
  cacheControl: 'max-age=300',
};
const discovery: DesiredObject = {
  key: discoveryPath,
  body: bytes('{"issuer":"https://example.com"}'),
  contentType: 'application/json',
  cacheControl: 'max-age=300',
};

/** An S3-like object: the store reports both headers. */
function stored(object: DesiredObject, changes: Partial<StoredObject> = {}): StoredObject {
  return {
    body: object.body,
    etag: `"etag-${object.key}"`,
    contentType: object.contentType,
    cacheControl: object.cacheControl,
    ...changes,
  };
}

function actual(entries: Record<string, StoredObject | undefined>): ReadonlyMap<string, StoredObject | undefined> {
  return new Map(Object.entries(entries));
}

/** What a store holds after a plan is applied to it: the written objects, with fresh ETags. */
function afterApplying(
  plan: PublishPlan,
  before: ReadonlyMap<string, StoredObject | undefined>,
): ReadonlyMap<string, StoredObject | undefined> {
  const after = new Map(before);
  for (const [index, write] of plan.writes.entries()) {
    after.set(write.key, {
      body: write.body,
      etag: `"new-${index}"`,
      contentType: write.contentType,
      cacheControl: write.cacheControl,
    });
  }
  return after;
}

describe('planning a publish', () => {
  it('creates both documents in an empty target, JWKS first, each only if it still does not exist', () => {
    const plan = planPublish([jwks, discovery], actual({}));
    expect(plan.writes.map((write) => [write.key, write.reason, write.condition])).toEqual([
      [jwksPath, 'create', { ifNoneMatch: '*' }],
      [discoveryPath, 'create', { ifNoneMatch: '*' }],
    ]);
    expect(plan.writes[0]?.body).toBe(jwks.body);
    expect(plan.unchanged).toEqual([]);
  });

  it('replaces a document whose bytes differ, only if it is still the version that was read', () => {
    const plan = planPublish(
      [jwks, discovery],
      actual({ [jwksPath]: stored(jwks, { body: bytes('{"keys":[]}') }), [discoveryPath]: stored(discovery) }),
    );
    expect(plan.writes).toHaveLength(1);
    expect(plan.writes[0]).toMatchObject({
      key: jwksPath,
      reason: 'update-content',
      condition: { ifMatch: `"etag-${jwksPath}"` },
    });
    expect(plan.unchanged).toEqual([discoveryPath]);
  });

  it('rewrites a document whose bytes are right but whose Cache-Control or Content-Type is not', () => {
    const plan = planPublish(
      [jwks, discovery],
      actual({
        [jwksPath]: stored(jwks, { cacheControl: 'max-age=86400' }),
        [discoveryPath]: stored(discovery, { contentType: 'binary/octet-stream' }),
      }),
    );
    expect(plan.writes.map((write) => [write.key, write.reason])).toEqual([
      [jwksPath, 'update-metadata'],
      [discoveryPath, 'update-metadata'],
    ]);
    expect(plan.writes[0]?.cacheControl).toBe('max-age=300');
  });

  it('treats a header S3 reports as unset (an object uploaded by hand) as different', () => {
    const plan = planPublish([jwks], actual({ [jwksPath]: stored(jwks, { cacheControl: '' }) }));
    expect(plan.writes.map((write) => write.reason)).toEqual(['update-metadata']);
  });

  it('compares bytes only where the store keeps no headers (a directory)', () => {
    const plan = planPublish([jwks], actual({ [jwksPath]: { body: jwks.body, etag: 'sha256' } }));
    expect(plan.writes).toEqual([]);
    expect(plan.unchanged).toEqual([jwksPath]);
  });

  it('has no changes when everything is already as desired, whatever buffer the bytes sit in', () => {
    const padded = new Uint8Array(jwks.body.byteLength + 4);
    padded.set(jwks.body, 2);
    const plan = planPublish(
      [jwks, discovery],
      actual({
        [jwksPath]: stored(jwks, { body: padded.subarray(2, 2 + jwks.body.byteLength) }),
        [discoveryPath]: stored(discovery),
      }),
    );
    expect(plan.writes).toEqual([]);
    expect(plan.unchanged).toEqual([jwksPath, discoveryPath]);
  });

  it('keeps the order the caller gives', () => {
    const reversed = planPublish([discovery, jwks], actual({}));
    expect(reversed.writes.map((write) => write.key)).toEqual([discoveryPath, jwksPath]);
  });

  it('is idempotent: planned against the result of applying it, a plan is empty', () => {
    const starts = [
      actual({}),
      actual({ [jwksPath]: stored(jwks, { body: bytes('old') }) }),
      actual({
        [jwksPath]: stored(jwks, { cacheControl: '' }),
        [discoveryPath]: stored(discovery, { body: bytes('old') }),
      }),
      actual({ [jwksPath]: stored(jwks), [discoveryPath]: stored(discovery) }),
    ];
    for (const before of starts) {
      const plan = planPublish([jwks, discovery], before);
      const again = planPublish([jwks, discovery], afterApplying(plan, before));
      expect(again.writes).toEqual([]);
    }
  });
});

/** An object as the store holds it now. */
export interface StoredObject {
  readonly body: Uint8Array;
  /** The version token a conditional write must match (S3 ETag; a content hash for files). */
  readonly etag: string;
  /** Undefined where the store keeps no such metadata (a plain directory). */
  readonly contentType?: string;
  readonly cacheControl?: string;
}

/** Exactly one of the two: replace the version we read, or create where nothing exists. */
export type WriteCondition = { readonly ifMatch: string } | { readonly ifNoneMatch: '*' };

export interface ObjectWrite {
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly cacheControl: string;
  readonly condition: WriteCondition;
}

/** `conflict`: the condition did not hold, someone else wrote in between. */
export type WriteOutcome = 'written' | 'conflict';

/**
 * Where the public documents live. Keys are relative to the target's prefix/directory,
 * e.g. `openid/v1/jwks`. Implementations wrap their own errors in PublishError, naming the
 * bucket/key/path and the permission or fix.
 */
export interface ObjectStore {
  /** `s3://bucket/prefix` or `file:///abs/dir`, for reports and errors. */
  readonly description: string;
  /** `signal`: the stage's deadline; an aborted request fails with PublishError. */
  get(key: string, signal?: AbortSignal): Promise<StoredObject | undefined>;
  put(write: ObjectWrite, signal?: AbortSignal): Promise<WriteOutcome>;
}

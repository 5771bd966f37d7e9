export { FileStore } from './file.js';
export { defaultCacheControl, publishDocuments, type PublishRequest, type Published } from './publish.js';
export { createS3Client, S3Store, type S3ClientOptions } from './s3.js';
export type { ObjectStore, StoredObject } from './store.js';
export { describeTarget, objectKey, parseTarget, targetFromIssuer, type Target } from './target.js';

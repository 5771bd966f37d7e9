export { FileStore } from './file.js';
export {
  defaultCacheControl,
  publishDocuments,
  publishedKeys,
  type PublishRequest,
  type Published,
} from './publish.js';
export { readAheadStore } from './read-ahead.js';
export { createS3Client, S3Store, type S3ClientOptions } from './s3.js';
export type { ObjectStore, StoredObject } from './store.js';
export { describeTarget, objectKey, parseTarget, targetFromIssuer, type Target } from './target.js';

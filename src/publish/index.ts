export { FileStore } from './file.js';
export { publishDocuments, publishedKeys, type PublishRequest, type Published } from './publish.js';
export { readAheadStore } from './read-ahead.js';
export { loadS3 } from './lazy.js';
export type { S3ClientOptions } from './s3.js';
export type { ObjectStore, StoredObject } from './store.js';
export { describeTarget, objectKey, parseTarget, targetFromIssuer, type Target } from './target.js';

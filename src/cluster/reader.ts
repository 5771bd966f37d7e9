import type { ClusterIssuerMetadata } from '../documents/index.js';

/** Where the issuer metadata comes from: the API server, or PEM files. */
export interface ClusterReader {
  read(): Promise<ClusterIssuerMetadata>;
}

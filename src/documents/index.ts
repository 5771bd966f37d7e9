export {
  buildDocuments,
  buildStage,
  withoutKeys,
  type BuildOptions,
  type BuiltDocuments,
  type IssuerDocuments,
} from './build.js';
export type { DiscoveryDocument } from './discovery.js';
export {
  algorithmForKey,
  buildJwks,
  privateJwkMembers,
  signingAlgorithms,
  signingKeyProblem,
  stsKeysPerType,
  supportedKeyTypes,
  type JsonWebKeySet,
  type PublicJwk,
  type SigningAlgorithm,
} from './jwks.js';
export { kubernetesKeyId } from './kid.js';
export { documentContentType, serialiseDocument } from './serialise.js';
export type { ClusterIssuerMetadata } from './source.js';

import type { Issuer } from '../issuer.js';
import { algorithmsOf, type JsonWebKeySet, type SigningAlgorithm } from './jwks.js';

/** The OpenID provider metadata STS reads, with the members kube-apiserver serves, in its order. */
export interface DiscoveryDocument {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly response_types_supported: readonly ['id_token'];
  readonly subject_types_supported: readonly ['public'];
  readonly id_token_signing_alg_values_supported: readonly SigningAlgorithm[];
}

export function buildDiscovery(issuer: Issuer, jwks: JsonWebKeySet): DiscoveryDocument {
  return {
    issuer: issuer.url,
    jwks_uri: issuer.jwksUrl,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: algorithmsOf(jwks),
  };
}

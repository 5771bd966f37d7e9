import type { Issuer } from '../config.js';
import type { ClusterIssuerMetadata } from '../cluster/metadata.js';
import { buildDiscovery, type DiscoveryDocument } from './discovery.js';
import { buildJwks, type JsonWebKeySet } from './jwks.js';
import { serialiseDocument } from './serialise.js';
import { checkIssuerMatches } from './guards.js';

export interface IssuerDocuments {
  readonly discovery: DiscoveryDocument;
  readonly jwks: JsonWebKeySet;
}

export interface BuiltDocuments extends IssuerDocuments {
  readonly discoveryBytes: Uint8Array;
  readonly jwksBytes: Uint8Array;
  readonly warnings: readonly string[];
}

/** Validates what the cluster served and builds the public documents, or refuses (GuardError). */
export async function buildDocuments(
  issuer: Issuer,
  metadata: ClusterIssuerMetadata,
  options: { readonly allowIssuerMismatch: boolean },
): Promise<BuiltDocuments> {
  const jwks = await buildJwks(metadata.keys, metadata.source);
  const mismatch = checkIssuerMatches(issuer, metadata.issuer, options.allowIssuerMismatch);
  const discovery = buildDiscovery(issuer, jwks);
  return {
    discovery,
    jwks,
    discoveryBytes: serialiseDocument(discovery),
    jwksBytes: serialiseDocument(jwks),
    warnings: mismatch === undefined ? [] : [mismatch],
  };
}

import type { Issuer } from '../issuer.js';
import type { StageOutcome } from '../report.js';
import { buildDiscovery, type DiscoveryDocument } from './discovery.js';
import { checkIssuerMatches } from './guards.js';
import { buildJwks, type JsonWebKeySet } from './jwks.js';
import { serialiseDocument } from './serialise.js';
import type { ClusterIssuerMetadata } from './source.js';

export interface IssuerDocuments {
  readonly discovery: DiscoveryDocument;
  readonly jwks: JsonWebKeySet;
}

export interface BuiltDocuments extends IssuerDocuments {
  readonly discoveryBytes: Uint8Array;
  readonly jwksBytes: Uint8Array;
  readonly warnings: readonly string[];
}

export interface BuildOptions {
  readonly allowIssuerMismatch: boolean;
}

/** Validates what the cluster served and builds the public documents, or refuses (GuardError). */
export async function buildDocuments(
  issuer: Issuer,
  metadata: ClusterIssuerMetadata,
  options: BuildOptions,
): Promise<BuiltDocuments> {
  const { jwks, warnings } = await buildJwks(metadata.keys, metadata.source);
  const mismatch = checkIssuerMatches(issuer, metadata.issuer, options.allowIssuerMismatch);
  const discovery = buildDiscovery(issuer, jwks);
  return {
    discovery,
    jwks,
    discoveryBytes: serialiseDocument(discovery),
    jwksBytes: serialiseDocument(jwks),
    warnings: mismatch === undefined ? warnings : [...warnings, mismatch],
  };
}

/** The build stage of a run: the documents, and its line of the report. */
export async function buildStage(
  issuer: Issuer,
  metadata: ClusterIssuerMetadata,
  options: BuildOptions,
): Promise<StageOutcome<BuiltDocuments>> {
  const documents = await buildDocuments(issuer, metadata, options);
  return {
    value: documents,
    status: 'unchanged',
    summary: `discovery + JWKS for ${issuer.url}`,
    warnings: documents.warnings,
  };
}

/**
 * The same documents without the keys whose kid is in `kids` (keys that must no longer be trusted).
 * The discovery document follows the keys left; when none are left it keeps the algorithms it had,
 * so it stays a document OIDC clients can read while STS refuses every token.
 */
export function withoutKeys(issuer: Issuer, documents: BuiltDocuments, kids: ReadonlySet<string>): BuiltDocuments {
  const jwks: JsonWebKeySet = { keys: documents.jwks.keys.filter((key) => !kids.has(key.kid)) };
  if (jwks.keys.length === documents.jwks.keys.length) return documents;
  const discovery = jwks.keys.length === 0 ? documents.discovery : buildDiscovery(issuer, jwks);
  return {
    ...documents,
    discovery,
    jwks,
    discoveryBytes: serialiseDocument(discovery),
    jwksBytes: serialiseDocument(jwks),
  };
}

/**
 * What the builder takes: what a cluster (or PEM files) says about its service-account issuer,
 * before any of it is trusted. The builder validates every byte.
 */
export interface ClusterIssuerMetadata {
  /** The cluster's own issuer (`--service-account-issuer`); absent when keys come from PEM files. */
  readonly issuer?: string;
  /** The `jwks_uri` the API server advertises; absent for PEM files. */
  readonly jwksUri?: string;
  /** The keys exactly as served (or derived from PEM), not yet validated. */
  readonly keys: readonly unknown[];
  /** Where they came from, for reports and errors: "API server https://10.0.0.1:6443", "PEM sa.pub". */
  readonly source: string;
}

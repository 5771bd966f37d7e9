import * as tls from 'node:tls';

/**
 * The CAs outbound TLS trusts with an extra CA (`--ca-file`, a corporate root): `ca` replaces Node's
 * store rather than adding to it, so the extra goes on top of the default list (bundled roots plus
 * NODE_EXTRA_CA_CERTS, and the system store under --use-system-ca).
 */
export function trustedCas(extra: string): string[] {
  const defaults =
    typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : [...tls.rootCertificates];
  return [...defaults, extra];
}

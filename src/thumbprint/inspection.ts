/**
 * Through a proxy, the chain the probe reads may not be the host's: a TLS-inspecting proxy ends the
 * TLS connection itself and presents a chain it minted, issued by its own CA (the corporate CA every
 * client there trusts). STS fetches from the internet and sees the host's real chain, so that
 * thumbprint would be wrong for IAM.
 *
 * The test: a proxy cannot mint a chain that a publicly trusted CA signed for someone else's name,
 * so a presented chain that links up to one of Node's bundled roots (Mozilla's program: neither
 * NODE_EXTRA_CA_CERTS, nor --ca-file, nor the system store, where a corporate CA lives) and is valid
 * for the host is the host's own. Anything else, seen through a proxy, is refused: an inspecting
 * proxy and a host on a private CA look the same from here, and a wrong thumbprint locks every
 * workload out, while the fixes (pin it, or exempt the host) cost one flag. Comparing with a direct
 * connection was rejected: behind a proxy the direct path is usually what the firewall drops, so
 * it would only add a timeout to every run.
 */
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';

function issues(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

/**
 * The presented chain, in order, links up to one of `roots`: some certificate in it is a root, or is
 * issued by one, and every certificate before it is issued by the next.
 */
export function chainsToRoot(chain: readonly X509Certificate[], rootPems: readonly string[]): boolean {
  const roots = rootPems.map((pem) => new X509Certificate(pem));
  for (const [index, certificate] of chain.entries()) {
    if (roots.some((root) => root.raw.equals(certificate.raw) || issues(root, certificate))) return true;
    const next = chain[index + 1];
    if (next === undefined || !issues(next, certificate)) return false;
  }
  return false;
}

/** Node's bundled roots: the stand-in for "publicly trusted", as the verify command's thumbprint check uses. */
export const publicRoots: readonly string[] = rootCertificates;

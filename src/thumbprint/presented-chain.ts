/**
 * The certificates a TLS server presents, exactly as it sent them: what `openssl s_client -showcerts`
 * prints, and what AWS means by "the last certificate in the chain" when it asks for a thumbprint.
 */
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

/** One certificate of the presented chain, in the order the server sent it. */
export interface PresentedCertificate {
  /** One-line distinguished name, e.g. `C=US, O=Amazon, CN=Amazon RSA 2048 M02`. */
  readonly subject: string;
  readonly issuer: string;
  /** SHA-1 of the DER certificate, 40 lower-case hex. */
  readonly sha1: string;
  /** ISO 8601. */
  readonly notAfter: string;
}

/**
 * Reads the presented chain off a socket whose handshake has completed. Call it once per socket.
 *
 * Why not `getPeerCertificate(true)`: it links certificates by issuer (not in the order sent),
 * drops presented certificates that issue nothing in the chain, and then walks on through the
 * local trust store (`ca`, or the system store plus NODE_EXTRA_CA_CERTS), appending a root the
 * server never sent — `GetLastIssuedCert` in
 * https://github.com/nodejs/node/blob/main/src/crypto/crypto_common.cc. Its last entry is then not
 * the certificate AWS hashes.
 *
 * `getPeerX509Certificate()` instead wraps OpenSSL's `SSL_get_peer_cert_chain` — the list as
 * received, which is also what s_client prints — as `issuerCertificate` links in the same order,
 * and never consults a store (`X509Certificate::GetPeerCert` in
 * https://github.com/nodejs/node/blob/main/src/crypto/crypto_x509.cc). It consumes that list while
 * doing so (a second call returns nothing; https://github.com/nodejs/node/issues/65579), so we read
 * the leaf first through the non-destructive `getPeerCertificate()` and refuse to answer if the
 * chain we get does not start with it: a wrong thumbprint is worse than none.
 */
export function readPresentedChain(socket: TLSSocket): X509Certificate[] | undefined {
  const leafDer = (socket.getPeerCertificate() as { raw?: Buffer }).raw;
  const chain: X509Certificate[] = [];
  for (let certificate = socket.getPeerX509Certificate(); certificate; certificate = certificate.issuerCertificate) {
    chain.push(certificate);
  }
  const first = chain[0];
  if (!leafDer || !first || !first.raw.equals(leafDer)) return undefined;
  return chain;
}

export function describeCertificate(certificate: X509Certificate): PresentedCertificate {
  return {
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    sha1: sha1Hex(certificate),
    notAfter: new Date(certificate.validTo).toISOString(),
  };
}

/** What IAM calls a thumbprint: SHA-1 over the DER, 40 lower-case hex, no colons. */
export function sha1Hex(certificate: X509Certificate): string {
  return certificate.fingerprint.replaceAll(':', '').toLowerCase();
}

function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

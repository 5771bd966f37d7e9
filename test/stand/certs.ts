/**
 * Test certificate chains: root -> intermediate -> leaf, as a public CA issues them, so TLS code
 * and thumbprints run on real X.509. Minted in-process with @peculiar/x509 so the demo needs Node
 * only; openssl stays the independent oracle in the thumbprint tests.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, X509Certificate, type webcrypto } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

x509.cryptoProvider.set(globalThis.crypto);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface Certificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** SHA-1 of the DER certificate, 40 lower-case hex: what IAM calls the thumbprint. */
  readonly sha1: string;
  readonly certPath: string;
  readonly keyPath: string;
}

export interface CertificateChain {
  readonly root: Certificate;
  readonly intermediate: Certificate;
  readonly leaf: Certificate;
  readonly directory: string;
}

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const validity = { before: 60 * 60 * 1000, after: 2 * 24 * 60 * 60 * 1000 };

interface Issued {
  readonly certificate: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

function serialNumber(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(8)))
    .toString('hex')
    .replace(/^0/, '1');
}

async function issue(
  name: string,
  keys: CryptoKeyPair,
  issuer: Issued | undefined,
  extensions: x509.Extension[],
): Promise<Issued> {
  const now = Date.now();
  const common = {
    serialNumber: serialNumber(),
    notBefore: new Date(now - validity.before),
    notAfter: new Date(now + validity.after),
    signingAlgorithm: algorithm,
  };
  const certificate =
    issuer === undefined
      ? await x509.X509CertificateGenerator.createSelfSigned({
          ...common,
          name,
          keys,
          extensions: [...extensions, await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
        })
      : await x509.X509CertificateGenerator.create({
          ...common,
          subject: name,
          issuer: issuer.certificate.subject,
          publicKey: keys.publicKey,
          signingKey: issuer.keys.privateKey,
          extensions: [
            ...extensions,
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
            await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate),
          ],
        });
  return { certificate, keys };
}

async function save(directory: string, fileName: string, issued: Issued): Promise<Certificate> {
  const certPem = issued.certificate.toString('pem') + '\n';
  const keyPem = KeyObject.from(issued.keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
  const certPath = join(directory, `${fileName}.crt`);
  const keyPath = join(directory, `${fileName}.key`);
  await writeFile(certPath, certPem);
  await writeFile(keyPath, keyPem, { mode: 0o600 });
  const sha1 = new X509Certificate(certPem).fingerprint.replaceAll(':', '').toLowerCase();
  return { certPem, keyPem, sha1, certPath, keyPath };
}

function subjectAltName(hosts: readonly string[]): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension(
    hosts.map((host) => ({ type: isIP(host) ? 'ip' : 'dns', value: host })),
  );
}

const caExtensions = (): x509.Extension[] => [
  new x509.BasicConstraintsExtension(true, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
];

const serverExtensions = (hosts: readonly string[]): x509.Extension[] => [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
  subjectAltName(hosts),
];

/** A fresh root -> intermediate -> leaf chain whose leaf is valid for `hosts`. */
export async function createCertificateChain(
  hosts: readonly string[] = ['localhost', '127.0.0.1'],
): Promise<CertificateChain> {
  const directory = await mkdtemp(join(tmpdir(), 'irsa-issuer-chain-'));
  const root = await issue('CN=irsa-issuer test root', await newKeys(), undefined, caExtensions());
  const intermediate = await issue('CN=irsa-issuer test intermediate', await newKeys(), root, caExtensions());
  const leaf = await issue(`CN=${hosts[0] ?? 'localhost'}`, await newKeys(), intermediate, serverExtensions(hosts));
  return {
    root: await save(directory, 'root', root),
    intermediate: await save(directory, 'intermediate', intermediate),
    leaf: await save(directory, 'leaf', leaf),
    directory,
  };
}

/** A self-signed leaf for `hosts`: no CA at all, as a homelab API server often has. */
export async function createSelfSigned(hosts: readonly string[] = ['localhost', '127.0.0.1']): Promise<Certificate> {
  const directory = await mkdtemp(join(tmpdir(), 'irsa-issuer-self-'));
  const self = await issue(`CN=${hosts[0] ?? 'localhost'}`, await newKeys(), undefined, serverExtensions(hosts));
  return save(directory, 'self', self);
}

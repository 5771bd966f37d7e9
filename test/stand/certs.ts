/**
 * Test certificate chains minted with the openssl CLI: root -> intermediate -> leaf, as a real
 * public CA would issue them, so TLS code and thumbprints are exercised on real X.509.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

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

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

async function load(directory: string, name: string): Promise<Certificate> {
  const certPath = join(directory, `${name}.crt`);
  const keyPath = join(directory, `${name}.key`);
  const certPem = await readFile(certPath, 'utf8');
  const keyPem = await readFile(keyPath, 'utf8');
  const sha1 = new X509Certificate(certPem).fingerprint.replaceAll(':', '').toLowerCase();
  return { certPem, keyPem, sha1, certPath, keyPath };
}

function subjectAltName(hosts: readonly string[]): string {
  return hosts.map((host) => (/^[\d.]+$/.test(host) || host.includes(':') ? `IP:${host}` : `DNS:${host}`)).join(',');
}

/** A fresh root -> intermediate -> leaf chain whose leaf is valid for `hosts`. */
export async function createCertificateChain(
  hosts: readonly string[] = ['localhost', '127.0.0.1'],
): Promise<CertificateChain> {
  const directory = await mkdtemp(join(tmpdir(), 'irsa-issuer-chain-'));
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await writeFile(
    join(directory, 'ca.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n',
  );
  await writeFile(
    join(directory, 'leaf.ext'),
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${subjectAltName(hosts)}\nauthorityKeyIdentifier=keyid:always\n`,
  );
  await openssl(
    ['req', '-x509', ...key, '-keyout', 'root.key', '-out', 'root.crt', '-days', '2', '-subj', '/CN=irsa-issuer test root',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    directory,
  );
  await openssl(['req', ...key, '-keyout', 'intermediate.key', '-out', 'intermediate.csr', '-subj', '/CN=irsa-issuer test intermediate'], directory);
  await openssl(
    ['x509', '-req', '-in', 'intermediate.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'intermediate.crt',
      '-days', '2', '-extfile', 'ca.ext'],
    directory,
  );
  await openssl(['req', ...key, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${hosts[0] ?? 'localhost'}`], directory);
  await openssl(
    ['x509', '-req', '-in', 'leaf.csr', '-CA', 'intermediate.crt', '-CAkey', 'intermediate.key', '-CAcreateserial', '-out', 'leaf.crt',
      '-days', '2', '-extfile', 'leaf.ext'],
    directory,
  );
  return {
    root: await load(directory, 'root'),
    intermediate: await load(directory, 'intermediate'),
    leaf: await load(directory, 'leaf'),
    directory,
  };
}

/** A self-signed leaf for `hosts`: no CA at all, as a homelab API server often has. */
export async function createSelfSigned(hosts: readonly string[] = ['localhost', '127.0.0.1']): Promise<Certificate> {
  const directory = await mkdtemp(join(tmpdir(), 'irsa-issuer-self-'));
  await openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'self.key', '-out', 'self.crt',
      '-days', '2', '-subj', `/CN=${hosts[0] ?? 'localhost'}`, '-addext', `subjectAltName=${subjectAltName(hosts)}`],
    directory,
  );
  return load(directory, 'self');
}

import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { kubernetesKeyId, signingKeyProblem, type ClusterIssuerMetadata } from '../documents/index.js';
import { ConfigError, InvalidKeyError, PrivateKeyMaterialError } from '../errors.js';
import type { ClusterReader } from './reader.js';

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Labels kube-apiserver accepts in --service-account-key-file, minus anything private. */
function publicKeyOf(label: string, block: string, where: string): KeyObject {
  if (label.includes('PRIVATE')) {
    throw new PrivateKeyMaterialError(
      `${where} is a ${label}. Only public keys may be published: pass the public half (openssl pkey -in key.pem ` +
        `-pubout), e.g. the file kube-apiserver reads with --service-account-key-file. Nothing was written.`,
    );
  }
  try {
    if (label === 'CERTIFICATE') return new X509Certificate(block).publicKey;
    if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') return createPublicKey(block);
  } catch (error) {
    throw new ConfigError(
      `${where} holds a ${label} block that cannot be parsed: ` +
        `${error instanceof Error ? error.message : String(error)}.`,
      { cause: error },
    );
  }
  throw new ConfigError(`${where} holds a ${label} block; expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE.`);
}

/**
 * The key as a JWK, or, for a key JWK cannot express (an EC curve outside JOSE's, RSA-PSS, DSA), a
 * refusal that names its type: kube-apiserver cannot sign with those and STS would not accept them.
 */
function jwkOf(key: KeyObject, where: string): Record<string, unknown> {
  let jwk: Record<string, unknown>;
  try {
    jwk = { ...key.export({ format: 'jwk' }) };
  } catch {
    const type = key.asymmetricKeyType ?? 'unknown';
    jwk = type === 'ec' ? { kty: 'EC', crv: key.asymmetricKeyDetails?.namedCurve } : { kty: type.toUpperCase() };
  }
  const problem = signingKeyProblem(jwk);
  if (problem !== undefined) throw new InvalidKeyError(`The key in ${where} ${problem}. Nothing was written.`);
  return jwk;
}

/** Public keys as JWKs with kube-apiserver's kid, from PEM text (one or more blocks). */
export function keysFromPem(text: string, file: string): Record<string, unknown>[] {
  const blocks = [...text.matchAll(pemBlock)];
  if (blocks.length === 0) {
    throw new ConfigError(`${file} contains no PEM block; expected a public key (-----BEGIN PUBLIC KEY-----).`);
  }
  return blocks.map((match, index) => {
    const label = match[1] ?? '';
    const where = blocks.length > 1 ? `${file} (block ${index + 1})` : file;
    const key = publicKeyOf(label, match[0], where);
    return { ...jwkOf(key, where), kid: kubernetesKeyId(key) };
  });
}

/**
 * Keys from PEM files: provisioning before the cluster exists, or a cluster whose API server we
 * cannot reach. There is no cluster issuer to compare against.
 */
export function pemFileReader(files: readonly string[]): ClusterReader {
  return {
    async read(): Promise<ClusterIssuerMetadata> {
      const keys: Record<string, unknown>[] = [];
      for (const file of files) {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          throw new ConfigError(
            `Cannot read public key file ${file} (${code ?? String(error)}); check the --public-key-file path.`,
            { cause: error },
          );
        }
        keys.push(...keysFromPem(text, file));
      }
      return { keys, source: `PEM ${files.join(', ')}` };
    },
  };
}

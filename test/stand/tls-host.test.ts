import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateChain, type CertificateChain } from './certs.js';
import { startTlsHost, type TlsHost } from './tls-host.js';

/** The static host the thumbprint tests probe, and later end-to-end tests publish to. */
async function get(
  url: string,
  ca: string,
  method = 'GET',
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { ca, method }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body });
      });
    });
    outgoing.once('error', reject);
    outgoing.end();
  });
}

let chain: CertificateChain;
let tlsHost: TlsHost;

beforeAll(async () => {
  chain = await createCertificateChain();
  const directory = await mkdtemp(join(tmpdir(), 'irsa-issuer-host-'));
  await mkdir(join(directory, 'prod/.well-known'), { recursive: true });
  await mkdir(join(directory, 'prod/openid/v1'), { recursive: true });
  await writeFile(join(directory, 'prod/.well-known/openid-configuration'), '{"issuer":"x"}');
  await writeFile(join(directory, 'prod/openid/v1/jwks'), '{"keys":[]}');
  await writeFile(join(directory, 'notes.txt'), 'hi');
  tlsHost = await startTlsHost({ directory, certificate: chain.leaf, presentedChain: [chain.intermediate.certPem] });
});

afterAll(async () => {
  await tlsHost.stop();
});

describe('the static TLS host stand-in', () => {
  it('serves the two documents as application/json to a client that trusts the root', async () => {
    expect(tlsHost.url).toBe(`https://127.0.0.1:${tlsHost.port}`);
    await expect(get(`${tlsHost.url}/prod/.well-known/openid-configuration`, chain.root.certPem)).resolves.toEqual({
      status: 200,
      type: 'application/json',
      body: '{"issuer":"x"}',
    });
    await expect(get(`${tlsHost.url}/prod/openid/v1/jwks`, chain.root.certPem)).resolves.toMatchObject({
      status: 200,
      type: 'application/json',
    });
    await expect(get(`${tlsHost.url}/prod/openid/v1/jwks`, chain.root.certPem, 'HEAD')).resolves.toMatchObject({
      status: 200,
      body: '',
    });
  });

  it('answers 404 for what is not there, directories and paths outside the directory', async () => {
    for (const path of [
      '/prod/openid/v1/keys',
      '/prod/openid',
      '/',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
    ]) {
      await expect(get(`${tlsHost.url}${path}`, chain.root.certPem)).resolves.toMatchObject({ status: 404 });
    }
    await expect(get(`${tlsHost.url}/notes.txt`, chain.root.certPem, 'POST')).resolves.toMatchObject({ status: 405 });
  });
});

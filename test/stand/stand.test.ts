import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { createCertificateChain } from './certs.js';
import { resetMoto, startMoto } from './moto.js';

describe('test stand', () => {
  it('mints a root -> intermediate -> leaf chain that verifies link by link', async () => {
    const chain = await createCertificateChain();
    const root = new X509Certificate(chain.root.certPem);
    const intermediate = new X509Certificate(chain.intermediate.certPem);
    const leaf = new X509Certificate(chain.leaf.certPem);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(leaf.verify(intermediate.publicKey)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(new Set([chain.root.sha1, chain.intermediate.sha1, chain.leaf.sha1]).size).toBe(3);
  });

  it('starts moto_server on a free port and stops it', async () => {
    const moto = await startMoto();
    await resetMoto(moto);
    const response = await fetch(`${moto.endpoint}/moto-api/`);
    expect(response.status).toBe(200);
    await moto.stop();
    await expect(fetch(`${moto.endpoint}/moto-api/`)).rejects.toThrow();
  });
});

describe('a minted chain serves real TLS', () => {
  it('is accepted by a TLS client that trusts only the root, and openssl agrees', async () => {
    const { createServer } = await import('node:https');
    const { execFileSync } = await import('node:child_process');
    const chain = await createCertificateChain();
    const server = createServer(
      { cert: chain.leaf.certPem + chain.intermediate.certPem, key: chain.leaf.keyPem },
      (_, response) => {
        response.end('ok');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const { request } = await import('node:https');
      const body = await new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port, servername: 'localhost', ca: chain.root.certPem }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => {
            resolve(text);
          });
        })
          .on('error', reject)
          .end();
      });
      expect(body).toBe('ok');
      const verify = execFileSync('openssl', [
        'verify',
        '-CAfile',
        chain.root.certPath,
        '-untrusted',
        chain.intermediate.certPath,
        chain.leaf.certPath,
      ]).toString();
      expect(verify).toContain('OK');
    } finally {
      server.close();
    }
  });
});

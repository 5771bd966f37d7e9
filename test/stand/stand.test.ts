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

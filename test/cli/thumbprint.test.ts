import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { freePort } from '../stand/moto.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';
import { cli } from './cli.js';

let chain: CertificateChain;
let host: TlsHost;

beforeAll(async () => {
  chain = await createCertificateChain();
  host = await startTlsHost({
    directory: await mkdtemp(join(tmpdir(), 'irsa-thumb-')),
    certificate: chain.leaf,
    presentedChain: [chain.intermediate.certPem],
  });
});

afterAll(async () => {
  await host.stop();
});

describe('irsa-issuer thumbprint', () => {
  it('prints the SHA-1 of the last certificate presented: the intermediate, not the root', async () => {
    const result = await cli(['thumbprint', `${host.url}/openid/v1/jwks`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`thumbprint  ${chain.intermediate.sha1}`);
    expect(result.stdout).toMatch(/trusted +no/);
    expect(result.stdout).not.toContain(chain.root.sha1);
  });

  it('says the chain is trusted when told about its root, with the same thumbprint', async () => {
    const result = await cli(['thumbprint', host.url, '--ca-file', chain.root.certPath, '--output', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ thumbprint: chain.intermediate.sha1, trusted: true });
  });

  it("answers Terraform's external data source with a flat object of strings", async () => {
    const result = await cli(['thumbprint', '--terraform'], {}, JSON.stringify({ url: host.url }));
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(answer.thumbprint).toBe(chain.intermediate.sha1);
    expect(Object.values(answer).every((value) => typeof value === 'string')).toBe(true);
  });

  it('rejects a Terraform query it does not understand with exit 2 and one line on stderr', async () => {
    const result = await cli(['thumbprint', '--terraform'], {}, JSON.stringify({ uri: host.url }));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/unknown key "uri"/);
  });

  it('fails with exit 1 naming host and port when nothing listens', async () => {
    const port = await freePort();
    const result = await cli(['thumbprint', `https://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
  });
});

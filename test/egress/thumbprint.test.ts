import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressFrom, type Egress } from '../../src/egress/index.js';
import { TlsInspectionError, ThumbprintError } from '../../src/errors.js';
import { probeThumbprint } from '../../src/thumbprint/probe.js';
import { defaultFetchOptions, fetchPublic } from '../../src/verify/fetch.js';
import { cli } from '../cli/cli.js';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { startMitmProxy, type MitmProxy } from '../stand/mitm-proxy.js';
import { startProxy, type ProxyStand } from '../stand/proxy.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';

/** The oracle: `openssl s_client -proxy HOST:PORT -connect ... -showcerts`, the SHA-1 of each certificate printed. */
async function opensslThroughProxy(proxyPort: number, port: number): Promise<string[]> {
  const child = spawn(
    'openssl',
    ['s_client', '-proxy', `127.0.0.1:${proxyPort}`, '-connect', `127.0.0.1:${port}`, '-showcerts'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => {
      resolve();
    });
  });
  const pems = stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return pems.map((pem) => new X509Certificate(pem).fingerprint.replaceAll(':', '').toLowerCase());
}

const via = (url: string, noProxy?: string): Egress =>
  egressFrom({ proxy: url }, noProxy === undefined ? {} : { NO_PROXY: noProxy });

describe('the thumbprint probe behind a proxy', () => {
  let chain: CertificateChain;
  let host: TlsHost;
  let proxy: ProxyStand;
  let strictProxy: ProxyStand;
  let mitm: MitmProxy;
  let root: string;

  beforeAll(async () => {
    chain = await createCertificateChain(['localhost', '127.0.0.1']);
    root = await mkdtemp(join(tmpdir(), 'irsa-egress-host-'));
    [host, proxy, strictProxy, mitm] = await Promise.all([
      startTlsHost({ directory: root, certificate: chain.leaf, presentedChain: [chain.intermediate.certPem] }),
      startProxy(),
      startProxy({ connectPorts: [443] }),
      startMitmProxy(),
    ]);
  });

  afterAll(async () => {
    await Promise.all([host.stop(), proxy.stop(), strictProxy.stop(), mitm.stop()]);
    await rm(root, { recursive: true, force: true });
  });

  it('tunnels through the proxy and reports what openssl s_client -proxy sees last', async () => {
    const probe = await probeThumbprint(
      { host: '127.0.0.1', port: host.port },
      { egress: via(proxy.url), publicRoots: [chain.root.certPem] },
    );
    const oracle = await opensslThroughProxy(proxy.port, host.port);
    expect(oracle.length).toBeGreaterThan(0);
    expect(probe.thumbprint).toBe(oracle.at(-1));
    expect(probe.thumbprint).toBe(chain.intermediate.sha1);
    expect(await proxy.requests()).toContain(`127.0.0.1:${host.port}`);
  });

  it('refuses a chain that leads to no public root when it came through a proxy', async () => {
    // This chain's root is not among Node's bundled roots: from behind the proxy it could be an inspecting proxy's.
    const attempt = probeThumbprint({ host: '127.0.0.1', port: host.port }, { egress: via(proxy.url) });
    await expect(attempt).rejects.toBeInstanceOf(TlsInspectionError);
    await expect(attempt).rejects.toThrow(/--thumbprint/);
  });

  it('detects a TLS-inspecting proxy that re-signs the host with its own CA, and refuses its thumbprint', async () => {
    const attempt = probeThumbprint(
      { host: '127.0.0.1', port: host.port },
      { egress: via(mitm.url), publicRoots: [chain.root.certPem] },
    );
    await expect(attempt).rejects.toBeInstanceOf(TlsInspectionError);
    await expect(attempt).rejects.toThrow(mitm.url);
    expect(mitm.requests).toContain(`127.0.0.1:${host.port}`);
  });

  it('goes direct to a host NO_PROXY lists, past the inspecting proxy', async () => {
    const before = mitm.requests.length;
    const probe = await probeThumbprint(
      { host: '127.0.0.1', port: host.port },
      { egress: via(mitm.url, `127.0.0.1:${host.port}`) },
    );
    expect(probe.thumbprint).toBe(chain.intermediate.sha1);
    expect(mitm.requests.length).toBe(before);
  });

  it('names the allow-list when the proxy refuses CONNECT to the port', async () => {
    const attempt = probeThumbprint({ host: '127.0.0.1', port: host.port }, { egress: via(strictProxy.url) });
    await expect(attempt).rejects.toBeInstanceOf(ThumbprintError);
    await expect(attempt).rejects.toThrow(new RegExp(`${strictProxy.url}.*allow-list`));
  });

  it("verify's anonymous GETs go through the proxy too, trusting --ca-file's CA", async () => {
    await mkdir(join(root, '.well-known'), { recursive: true });
    await writeFile(join(root, '.well-known', 'openid-configuration'), '{}');
    const tunnels = async (): Promise<number> =>
      (await proxy.requests()).filter((request) => request === `127.0.0.1:${host.port}`).length;
    const before = await tunnels();
    const response = await fetchPublic(`${host.url}/.well-known/openid-configuration`, {
      ...defaultFetchOptions,
      ca: chain.root.certPem,
      egress: via(proxy.url),
    });
    expect(response.status).toBe(200);
    expect(await tunnels()).toBe(before + 1);
  });

  it('irsa-issuer thumbprint through an inspecting proxy prints no thumbprint and exits 1', async () => {
    const result = await cli(['thumbprint', `${host.url}/openid/v1/jwks`], { HTTPS_PROXY: mitm.url });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/inspects TLS/);
    expect(result.stderr).not.toContain('Error:');
  });
});

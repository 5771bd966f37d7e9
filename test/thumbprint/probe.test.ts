import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ThumbprintError } from '../../src/errors.js';
import { probeThumbprint, targetFromUrl, thumbprintFromUrl, type ThumbprintProbe } from '../../src/thumbprint/probe.js';
import { createCertificateChain, createSelfSigned, type Certificate, type CertificateChain } from '../stand/certs.js';
import { opensslShowcerts } from '../stand/oracles.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server | ReturnType<typeof createHttpServer>): Promise<void> {
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
}

let chain: CertificateChain;
let selfSigned: Certificate;
let unrelated: Certificate;
let directory: string;
const hosts: TlsHost[] = [];

async function host(certificate: Certificate, presentedChain: readonly string[]): Promise<TlsHost> {
  const started = await startTlsHost({ directory, certificate, presentedChain });
  hosts.push(started);
  return started;
}

beforeAll(async () => {
  [chain, selfSigned, unrelated] = await Promise.all([
    createCertificateChain(),
    createSelfSigned(),
    createSelfSigned(['unrelated.test']),
  ]);
  directory = await mkdtemp(join(tmpdir(), 'irsa-issuer-probe-'));
});

afterAll(async () => {
  await Promise.all(hosts.map((started) => started.stop()));
});

describe('the thumbprint is of the last certificate the server presents, as openssl prints it', () => {
  const cases: {
    name: string;
    server: () => { certificate: Certificate; presented: Certificate[] };
    trustError: string;
  }[] = [
    {
      name: '(a) leaf + intermediate: the intermediate, not the root the client would look up',
      server: () => ({ certificate: chain.leaf, presented: [chain.intermediate] }),
      trustError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    },
    {
      name: '(b) leaf + intermediate + root: the root, because the server sent it',
      server: () => ({ certificate: chain.leaf, presented: [chain.intermediate, chain.root] }),
      trustError: 'SELF_SIGNED_CERT_IN_CHAIN',
    },
    {
      name: '(c) leaf only: the leaf',
      server: () => ({ certificate: chain.leaf, presented: [] }),
      trustError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    },
    {
      name: '(d) a self-signed leaf: the leaf',
      server: () => ({ certificate: selfSigned, presented: [] }),
      trustError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    },
    {
      name: 'leaf + root + intermediate (misordered): the intermediate, in sent order, not issuer order',
      server: () => ({ certificate: chain.leaf, presented: [chain.root, chain.intermediate] }),
      trustError: 'SELF_SIGNED_CERT_IN_CHAIN',
    },
    {
      name: 'leaf + intermediate + an unrelated certificate: the unrelated one, as openssl shows it',
      server: () => ({ certificate: chain.leaf, presented: [chain.intermediate, unrelated] }),
      trustError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    },
  ];

  it.each(cases)('$name', async ({ server, trustError }) => {
    const { certificate, presented } = server();
    const tlsHost = await host(
      certificate,
      presented.map((c) => c.certPem),
    );

    const oracle = await opensslShowcerts(tlsHost.port);
    // The stand really presents what the case says (no certificate appended by OpenSSL's auto-chain).
    expect(oracle).toEqual([certificate.sha1, ...presented.map((c) => c.sha1)]);

    const probe = await probeThumbprint({ host: '127.0.0.1', port: tlsHost.port });
    expect(probe.thumbprint).toBe(oracle.at(-1));
    expect(probe.thumbprint).toMatch(/^[0-9a-f]{40}$/);
    expect(probe.chain.map((c) => c.sha1)).toEqual(oracle);
    expect(probe.trusted).toBe(false);
    expect(probe.trustError).toBe(trustError);
    expect(probe).toMatchObject({ host: '127.0.0.1', port: tlsHost.port, hostnameMatches: true });
    expect(probe.servername).toBeUndefined();
  });

  it('describes each presented certificate: subject, issuer, SHA-1, expiry', async () => {
    const tlsHost = await host(chain.leaf, [chain.intermediate.certPem]);
    const probe = await probeThumbprint({ host: '127.0.0.1', port: tlsHost.port });
    expect(probe.chain).toEqual([
      {
        subject: 'CN=localhost',
        issuer: 'CN=irsa-issuer test intermediate',
        sha1: chain.leaf.sha1,
        notAfter: new X509Certificate(chain.leaf.certPem).validToDate.toISOString(),
      },
      {
        subject: 'CN=irsa-issuer test intermediate',
        issuer: 'CN=irsa-issuer test root',
        sha1: chain.intermediate.sha1,
        notAfter: new X509Certificate(chain.intermediate.certPem).validToDate.toISOString(),
      },
    ]);
    expect(probe.protocol).toBe('TLSv1.3');
  });
});

describe('a root the client trusts locally is never reported', () => {
  it('Node itself would report it: getPeerCertificate(true) walks on to the trusted root (the trap)', async () => {
    const tlsHost = await host(chain.leaf, [chain.intermediate.certPem]);
    const walked = await new Promise<string[]>((resolve, reject) => {
      const socket = connect(
        { host: '127.0.0.1', port: tlsHost.port, ca: chain.root.certPem, rejectUnauthorized: false },
        () => {
          const seen: string[] = [];
          let certificate = socket.getPeerCertificate(true);
          while (!seen.includes(certificate.fingerprint)) {
            seen.push(certificate.fingerprint);
            certificate = certificate.issuerCertificate;
          }
          socket.destroy();
          resolve(seen.map((fingerprint) => fingerprint.replaceAll(':', '').toLowerCase()));
        },
      );
      socket.once('error', reject);
    });
    expect(walked).toEqual([chain.leaf.sha1, chain.intermediate.sha1, chain.root.sha1]);
  });

  it('(a) with the root trusted through the ca option: trusted, and still the intermediate', async () => {
    const tlsHost = await host(chain.leaf, [chain.intermediate.certPem]);
    const probe = await probeThumbprint({ host: '127.0.0.1', port: tlsHost.port }, { ca: chain.root.certPem });
    expect(probe.trusted).toBe(true);
    expect(probe.trustError).toBeUndefined();
    expect(probe.thumbprint).toBe(chain.intermediate.sha1);
    expect(probe.chain.map((c) => c.sha1)).toEqual([chain.leaf.sha1, chain.intermediate.sha1]);
    expect(probe.thumbprint).toBe((await opensslShowcerts(tlsHost.port)).at(-1));
  });

  it('(a) with the root trusted through NODE_EXTRA_CA_CERTS in a fresh process: trusted, and still the intermediate', async () => {
    const tlsHost = await host(chain.leaf, [chain.intermediate.certPem]);
    const probeModule = pathToFileURL(join(import.meta.dirname, '../../src/thumbprint/probe.ts')).href;
    const script = `import { probeThumbprint } from ${JSON.stringify(probeModule)};
      process.stdout.write(JSON.stringify(await probeThumbprint({ host: '127.0.0.1', port: ${tlsHost.port} })));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      {
        cwd: join(import.meta.dirname, '../..'),
        env: { ...process.env, NODE_EXTRA_CA_CERTS: chain.root.certPath },
      },
    );
    const probe = JSON.parse(stdout) as ThumbprintProbe;
    expect(probe.trusted).toBe(true);
    expect(probe.thumbprint).toBe(chain.intermediate.sha1);
    expect(probe.chain).toHaveLength(2);
  });

  it('a trusted chain for the SNI name is trusted; the wrong name is not, with the reason', async () => {
    const tlsHost = await host(chain.leaf, [chain.intermediate.certPem]);
    const good = await probeThumbprint(
      { host: '127.0.0.1', port: tlsHost.port, servername: 'localhost' },
      { ca: [chain.root.certPem] },
    );
    expect(good).toMatchObject({
      servername: 'localhost',
      trusted: true,
      hostnameMatches: true,
      thumbprint: chain.intermediate.sha1,
    });

    const wrong = await probeThumbprint(
      { host: '127.0.0.1', port: tlsHost.port, servername: 'example.com' },
      { ca: [chain.root.certPem] },
    );
    expect(wrong).toMatchObject({
      servername: 'example.com',
      trusted: false,
      trustError: 'ERR_TLS_CERT_ALTNAME_INVALID',
      hostnameMatches: false,
      thumbprint: chain.intermediate.sha1,
    });
  });
});

describe('thumbprintFromUrl', () => {
  it('probes the host and port a URL names', async () => {
    const tlsHost = await host(chain.leaf, [chain.intermediate.certPem]);
    const probe = await thumbprintFromUrl(`${tlsHost.url}/openid/v1/jwks`);
    expect(probe).toMatchObject({ host: '127.0.0.1', port: tlsHost.port, thumbprint: chain.intermediate.sha1 });
  });

  it('defaults to 443 and unwraps IPv6 literals', () => {
    expect(targetFromUrl('https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod/openid/v1/jwks')).toEqual({
      host: 'my-bucket.s3.eu-west-1.amazonaws.com',
      port: 443,
    });
    expect(targetFromUrl('https://[::1]:8443/openid/v1/jwks')).toEqual({ host: '::1', port: 8443 });
  });

  it('refuses what is not an https:// URL', async () => {
    await expect(thumbprintFromUrl('http://example.com/openid/v1/jwks')).rejects.toThrow(ConfigError);
    expect(() => targetFromUrl('example.com')).toThrow(/not a URL/);
  });
});

describe('failures name host:port, why, and what to do', () => {
  it('a refused connection', async () => {
    const server = createTcpServer();
    const port = await listen(server);
    await close(server);
    const failure = probeThumbprint({ host: '127.0.0.1', port });
    await expect(failure).rejects.toThrow(ThumbprintError);
    await expect(failure).rejects.toThrow(`Connection to 127.0.0.1:${port} was refused`);
  });

  it('a name that does not resolve', async () => {
    await expect(probeThumbprint({ host: 'no-such-host.invalid' }, { timeoutMs: 5_000 })).rejects.toThrow(
      /Could not resolve no-such-host\.invalid \(probing no-such-host\.invalid:443\)/,
    );
  });

  it('a server that accepts TCP but never speaks TLS: a timeout within the configured budget', async () => {
    const held: Socket[] = [];
    const server = createTcpServer((socket) => held.push(socket));
    const port = await listen(server);
    const started = Date.now();
    const failure = probeThumbprint({ host: '127.0.0.1', port }, { timeoutMs: 300 });
    await expect(failure).rejects.toThrow(ThumbprintError);
    await expect(failure).rejects.toThrow(
      `127.0.0.1:${port} accepted a TCP connection but did not complete a TLS handshake within 300 ms`,
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    for (const socket of held) socket.destroy();
    await close(server);
  });

  it('a server that speaks plain HTTP: a TLS protocol failure', async () => {
    const server = createHttpServer((_request, response) => response.end('hello'));
    const port = await listen(server);
    await expect(probeThumbprint({ host: '127.0.0.1', port })).rejects.toThrow(
      new RegExp(
        `The TLS handshake with 127\\.0\\.0\\.1:${port} failed: wrong version number\\. The port may serve plain HTTP`,
      ),
    );
    server.closeAllConnections();
    await close(server);
  });

  it('a server that hangs up mid-handshake', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listen(server);
    await expect(probeThumbprint({ host: '127.0.0.1', port })).rejects.toThrow(
      `127.0.0.1:${port} closed the connection during the TLS handshake`,
    );
    await close(server);
  });

  it('a port or timeout that cannot be is a configuration error, before any connection', async () => {
    await expect(probeThumbprint({ host: '127.0.0.1', port: 70_000 })).rejects.toThrow(ConfigError);
    await expect(probeThumbprint({ host: '127.0.0.1', port: 0 })).rejects.toThrow(ConfigError);
    await expect(probeThumbprint({ host: '' })).rejects.toThrow(ConfigError);
    await expect(probeThumbprint({ host: '127.0.0.1' }, { timeoutMs: 0 })).rejects.toThrow(ConfigError);
  });
});

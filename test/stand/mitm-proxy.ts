/**
 * A TLS-inspecting forward proxy, as corporate networks run them: it answers CONNECT with 200, then
 * ends the client's TLS itself with a certificate for the requested name that its own CA issued
 * (root -> intermediate -> leaf, the root being what the company installs on every machine), and
 * relays the decrypted bytes to the real host over a TLS connection of its own. No package does this
 * on Debian without configuration of its own CA machinery, hence this small stand-in.
 */
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { TLSSocket, connect as tlsConnect, createSecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createCertificateChain, type CertificateChain } from './certs.js';

export interface MitmProxy {
  readonly url: string;
  /** The inspection CA: its root is what a corporate machine would trust. */
  readonly chain: CertificateChain;
  /** Every CONNECT target since start. */
  readonly requests: readonly string[];
  stop(): Promise<void>;
}

export async function startMitmProxy(): Promise<MitmProxy> {
  const chain = await createCertificateChain(['localhost', '127.0.0.1']);
  const context = createSecureContext({
    key: chain.leaf.keyPem,
    cert: `${chain.leaf.certPem.trim()}\n${chain.intermediate.certPem.trim()}\n`,
  });
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const match = /^CONNECT (\S+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.toString('latin1'));
      if (!match) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      const host = match[1] ?? '';
      const port = Number(match[2]);
      requests.push(`${host}:${port}`);
      client.write('HTTP/1.1 200 Connection established\r\n\r\n', () => {
        const inspected = new TLSSocket(client, { isServer: true, secureContext: context });
        inspected.on('error', () => undefined);
        const upstream = tlsConnect({
          host,
          port,
          rejectUnauthorized: false,
          ...(isIP(host) === 0 ? { servername: host } : {}),
        });
        upstream.on('error', () => inspected.destroy());
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        inspected.pipe(upstream).pipe(inspected);
      });
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    chain,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * The public host of the issuer: a TLS front in front of moto's bucket, as a custom domain or
 * CloudFront would be, on port 443 of a random loopback address. Port 443 because the module
 * refuses an issuer with a port (IAM's rule, and the AWS provider would replace such a provider on
 * every plan); a random 127.x.y.z because other test runs on the machine may hold 127.0.0.1:443.
 */
import { rm } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';

export interface IssuerHost {
  readonly host: TlsHost;
  readonly chain: CertificateChain;
  /** `https://127.x.y.z`, no port. */
  readonly url: string;
  stop(): Promise<void>;
}

const bindHint =
  'The Terraform tests serve the issuer on port 443 of a loopback address, since IAM refuses an issuer with a port. ' +
  'Run them as root, or let this user bind it: sysctl net.ipv4.ip_unprivileged_port_start=443 ' +
  '(or setcap cap_net_bind_service=+ep on node_modules/node/bin/node).';

export async function startIssuerHost(origin: string): Promise<IssuerHost> {
  for (let attempt = 1; ; attempt += 1) {
    const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    const chain = await createCertificateChain([address]);
    try {
      const host = await startTlsHost({
        origin,
        certificate: chain.leaf,
        presentedChain: [chain.intermediate.certPem],
        host: address,
        port: 443,
      });
      return {
        host,
        chain,
        url: `https://${address}`,
        async stop() {
          await host.stop();
          await rm(chain.directory, { recursive: true, force: true });
        },
      };
    } catch (error) {
      await rm(chain.directory, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES') throw new Error(`Cannot listen on ${address}:443 (EACCES). ${bindHint}`, { cause: error });
      if (code !== 'EADDRINUSE' || attempt === 5) throw error;
    }
  }
}

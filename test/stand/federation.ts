/**
 * Everything a federation check talks to, started together: a public TLS host on a generated
 * chain serving a directory (what S3 or a CDN would be), the kube-apiserver stand signing for that
 * host's issuer, and moto for IAM and STS. Each test starts from the documents published by the
 * real sync, an empty IAM account holding one role, and no provider.
 */
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { readIssuerMetadata } from '../../src/cluster/api-server.js';
import { loadKubeConfig, type ApiServerConnection } from '../../src/cluster/kubeconfig.js';
import { parseIssuer, type Issuer } from '../../src/issuer.js';
import { FileStore } from '../../src/publish/file.js';
import { sync } from '../../src/sync.js';
import { startApiServer, type ApiServerStand } from './apiserver.js';
import { createCertificateChain, type CertificateChain } from './certs.js';
import { motoIamClient } from './iam.js';
import { resetMoto, startMoto, type MotoServer } from './moto.js';
import { startTlsHost, type TlsHost } from './tls-host.js';
import { syncOptions } from './sync-options.js';

export const federationPrefix = 'clusters/prod';
export const federationRoleArn = 'arn:aws:iam::123456789012:role/team-a-app';

export interface Federation {
  readonly chain: CertificateChain;
  /** The directory the TLS host serves; documents live under `federationPrefix`. */
  readonly root: string;
  readonly host: TlsHost;
  readonly issuer: Issuer;
  readonly stand: ApiServerStand;
  readonly connection: ApiServerConnection;
  readonly moto: MotoServer;
  readonly iam: IAMClient;
  /** The path of a published document on disk, e.g. published('openid/v1/jwks'). */
  published(path: string): string;
  /** Publish the stand's current keys with the real sync, as a directory target. */
  publish(): Promise<void>;
  /** A provider for the issuer; by default one that trusts it (sts audience, the intermediate's thumbprint). */
  createProvider(overrides?: { thumbprints?: string[]; clientIds?: string[] }): Promise<void>;
  /** Back to: stand as started, documents freshly published, IAM with only the role. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFederation(): Promise<Federation> {
  const chain = await createCertificateChain(['localhost', '127.0.0.1']);
  const root = await mkdtemp(join(tmpdir(), 'irsa-federation-'));
  const host = await startTlsHost({
    directory: root,
    certificate: chain.leaf,
    presentedChain: [chain.intermediate.certPem],
  });
  const issuer = parseIssuer(`${host.url}/${federationPrefix}`);
  const [stand, moto] = await Promise.all([startApiServer({ issuer: issuer.url }), startMoto()]);
  const connection = loadKubeConfig({ kubeconfig: stand.kubeconfigPath, context: 'reader' });
  const iam = await motoIamClient(moto);

  const publish = async (): Promise<void> => {
    await sync(syncOptions(issuer.url), {
      cluster: { read: () => readIssuerMetadata(connection) },
      store: new FileStore(join(root, federationPrefix)),
      logger: pino({ level: 'silent' }),
    });
  };

  return {
    chain,
    root,
    host,
    issuer,
    stand,
    connection,
    moto,
    iam,
    published: (path) => join(root, federationPrefix, path),
    publish,
    async createProvider(overrides = {}) {
      await iam.send(
        new CreateOpenIDConnectProviderCommand({
          Url: issuer.url,
          ClientIDList: overrides.clientIds ?? ['sts.amazonaws.com'],
          // AWS's thumbprint: the last certificate the host presents, here the intermediate.
          ThumbprintList: overrides.thumbprints ?? [chain.intermediate.sha1],
        }),
      );
    },
    async reset() {
      stand.reset();
      await resetMoto(moto);
      await rm(join(root, federationPrefix), { recursive: true, force: true });
      await publish();
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'team-a-app',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer.providerName}` },
                Action: 'sts:AssumeRoleWithWebIdentity',
                Condition: { StringEquals: { [`${issuer.providerName}:sub`]: 'system:serviceaccount:team-a:app' } },
              },
            ],
          }),
        }),
      );
    },
    async stop() {
      await Promise.all([host.stop(), stand.stop(), moto.stop()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}

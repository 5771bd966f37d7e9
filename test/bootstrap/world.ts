/**
 * Everything bootstrap talks to, started together: moto for S3, S3 Control, IAM and STS; a TLS host
 * in front of the bucket (as S3's own HTTPS endpoint would be) whose URL is the issuer, so the
 * verify step fetches what a stranger would; and the kube-apiserver stand signing for that issuer.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { apiServerReader } from '../../src/cluster/index.js';
import { bootstrap, type BootstrapClients, type BootstrapRequest } from '../../src/bootstrap/index.js';
import { parseIssuer } from '../../src/issuer.js';
import { thumbprintFromUrl } from '../../src/thumbprint/index.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { dummyCredentials, motoIamClient, recordCommands } from '../stand/iam.js';
import { startMoto, type MotoServer } from '../stand/moto.js';
import { motoS3Client, recordRequests, testRegion, type Credentials, type RecordedRequest } from '../stand/s3.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';

export const bucket = 'acme-oidc';
export const prefix = 'clusters/prod';
export const account = '123456789012';

export interface World {
  readonly moto: MotoServer;
  readonly chain: CertificateChain;
  readonly front: TlsHost;
  readonly stand: ApiServerStand;
  readonly issuerUrl: string;
}

export async function startWorld(): Promise<World> {
  const moto = await startMoto();
  const chain = await createCertificateChain();
  const front = await startTlsHost({
    origin: `${moto.endpoint}/${bucket}`,
    certificate: chain.leaf,
    presentedChain: [chain.intermediate.certPem],
  });
  const issuerUrl = `${front.url}/${prefix}`;
  const stand = await startApiServer({ issuer: issuerUrl });
  return { moto, chain, front, stand, issuerUrl };
}

export async function stopWorld(world: World): Promise<void> {
  await world.stand.stop();
  await world.front.stop();
  await world.moto.stop();
}

/**
 * S3 Control addresses ACCOUNT.s3-control.REGION.amazonaws.com: the SDK's endpoint rules put the
 * account ID in front of any endpoint's host, which a loopback address cannot carry. The test's
 * client resolves every request to moto's address instead; moto answers from the account the
 * request names.
 */
export function motoS3ControlClient(moto: MotoServer): S3ControlClient {
  return new S3ControlClient({
    region: testRegion,
    credentials: dummyCredentials,
    endpointProvider: () => ({ url: new URL(moto.endpoint) }),
  });
}

/** Credentials of another account: moto puts an assumed role's calls in the role's account. */
export async function otherAccountCredentials(moto: MotoServer): Promise<Credentials & { sessionToken: string }> {
  const sts = new STSClient({ region: testRegion, endpoint: moto.endpoint, credentials: dummyCredentials });
  try {
    const { Credentials: got } = await sts.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/other', RoleSessionName: 'other-team' }),
    );
    return {
      accessKeyId: got?.AccessKeyId ?? '',
      secretAccessKey: got?.SecretAccessKey ?? '',
      sessionToken: got?.SessionToken ?? '',
    };
  } finally {
    sts.destroy();
  }
}

export interface Clients {
  readonly s3: S3Client;
  readonly iam: IAMClient;
  readonly s3Requests: RecordedRequest[];
  readonly iamCommands: string[];
  readonly accountControl: S3ControlClient;
}

export async function clientsFor(world: World): Promise<Clients> {
  const s3 = motoS3Client(world.moto);
  const iam = await motoIamClient(world.moto);
  return {
    s3,
    iam,
    s3Requests: recordRequests(s3),
    iamCommands: recordCommands(iam),
    accountControl: motoS3ControlClient(world.moto),
  };
}

export function requestFor(world: World, overrides: Partial<BootstrapRequest> = {}): BootstrapRequest {
  return {
    issuer: parseIssuer(world.issuerUrl),
    bucket,
    prefix,
    region: testRegion,
    partition: 'aws',
    cluster: 'prod',
    roleName: 'irsa-issuer-prod',
    namespace: 'irsa-issuer',
    serviceAccount: 'irsa-issuer',
    allowPublicPolicy: false,
    allowIssuerMismatch: false,
    keysFromFiles: false,
    dryRun: false,
    verify: { ca: world.chain.root.certPem },
    pinnedThumbprints: [],
    cacheControl: 'max-age=300',
    ...overrides,
  };
}

export async function runBootstrap(
  world: World,
  clients: Clients,
  overrides: Partial<BootstrapRequest> = {},
  more: Pick<BootstrapClients, 'iamIn'> = {},
) {
  const sts = new STSClient({ region: testRegion, endpoint: world.moto.endpoint, credentials: dummyCredentials });
  return bootstrap(requestFor(world, overrides), {
    cluster: await apiServerReader({ kubeconfig: world.stand.kubeconfigPath, context: 'reader' }),
    s3: clients.s3,
    account: clients.accountControl,
    iam: clients.iam,
    sts,
    probe: (url) => thumbprintFromUrl(url),
    logger: pino({ level: 'silent' }),
    ...more,
  }).finally(() => {
    sts.destroy();
  });
}

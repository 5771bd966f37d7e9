/**
 * Everything one fault case runs against: moto (S3 and IAM) behind one fault proxy, the
 * kube-apiserver stand-in behind another (over TLS, with the stand's own chain, so the kubeconfig
 * trusts it), and the built bundle pointed at both proxies the way a user points it at real
 * endpoints: --s3-endpoint, AWS_ENDPOINT_URL_IAM, a kubeconfig. Each case starts from an empty
 * account, a public bucket and the stand's own keys.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetOpenIDConnectProviderCommand,
  IAMClient,
  type GetOpenIDConnectProviderCommandOutput,
} from '@aws-sdk/client-iam';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { startFaultProxy, type FaultProxy } from '../stand/faults.js';
import { anonymousHttpSource, checkPublished, type PublishedSource, type PublishedState } from '../stand/invariant.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { runBundle, startBundle, type BundleRun, type RunningBundle } from './bundle.js';

export const bucket = 'acme-oidc';
export const prefix = 'clusters/prod';
export const region = 'eu-west-1';
/** The issuer names its bucket, region and prefix: no --target needed, as in the README. */
export const issuer = `https://${bucket}.s3.${region}.amazonaws.com/${prefix}`;
/** Pinned, so no TLS probe of the (unreachable) amazonaws.com host runs. */
export const thumbprint = '9e99a48a9960b14926bb7f3b02e22da2b0ab7280';
export const providerArn = `arn:aws:iam::123456789012:oidc-provider/${bucket}.s3.${region}.amazonaws.com/${prefix}`;
/** What the CLI signs with; a leak check looks for the secret in everything it prints. */
export const credentials = { accessKeyId: 'AKIAFAULTSUITE000001', secretAccessKey: 'fault-suite-secret-9Xq2vLw7' };

export interface FaultWorld {
  readonly moto: MotoServer;
  /** In front of moto: S3 (--s3-endpoint) and IAM (AWS_ENDPOINT_URL_IAM). */
  readonly aws: FaultProxy;
  /** In front of the API-server stand-in. */
  readonly api: FaultProxy;
  readonly stand: ApiServerStand;
  /** The bearer token the CLI reads the cluster with. */
  readonly token: string;
  /** Its kubeconfig: context `proxied`, server the API proxy, CA the stand's. */
  readonly kubeconfig: string;
  /** `sync` with every flag a case needs, plus `extra`; JSON report on stdout. */
  syncArgs(...extra: string[]): string[];
  readonly env: NodeJS.ProcessEnv;
  sync(...extra: string[]): Promise<BundleRun>;
  /** The kill timer fires at `deadlineMs` (60 s when omitted). */
  startSync(extra?: readonly string[], deadlineMs?: number): RunningBundle;
  /** The bucket prefix as STS reads it: anonymously, from moto itself, not through the proxy. */
  readonly published: PublishedSource;
  /** The invariant for this world's issuer and the stand's keys. */
  invariant(): Promise<PublishedState>;
  provider(): Promise<GetOpenIDConnectProviderCommandOutput | undefined>;
  /** Empty account, a public bucket, no rules, the stand as started. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultWorld(): Promise<FaultWorld> {
  const [moto, stand] = await Promise.all([startMoto(), startApiServer({ issuer })]);
  const aws = await startFaultProxy({ upstream: moto.endpoint });
  const api = await startFaultProxy({
    upstream: stand.url,
    upstreamCa: stand.caPem,
    tls: {
      certPem: stand.chain.leaf.certPem,
      keyPem: stand.chain.leaf.keyPem,
      chain: [stand.chain.intermediate.certPem],
    },
  });
  const token = stand.tokens.reader?.token ?? '';
  const kubeconfig = await stand.writeKubeconfig([{ name: 'proxied', server: api.url, caPem: stand.caPem, token }]);
  // V8's compile cache for the bundle: every case starts it twice, and starting is most of a fast case.
  const compileCache = await mkdtemp(join(tmpdir(), 'irsa-faults-compile-cache-'));
  const admin = { region, endpoint: moto.endpoint, credentials, maxAttempts: 1 };
  const s3 = new S3Client({ ...admin, forcePathStyle: true });
  const iam = new IAMClient({ ...admin, region: 'us-east-1' });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_IAM: aws.url,
    AWS_ENDPOINT_URL_STS: aws.url,
    // Nothing from the machine's own AWS set-up may leak into a case.
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_COMPILE_CACHE: compileCache,
  };
  const syncArgs = (...extra: string[]) => [
    'sync',
    '--issuer',
    issuer,
    '--s3-endpoint',
    aws.url,
    '--kubeconfig',
    kubeconfig,
    '--context',
    'proxied',
    '--thumbprint',
    thumbprint,
    '--output',
    'json',
    ...extra,
  ];
  const published = anonymousHttpSource(`${moto.endpoint}/${bucket}/${prefix}`);

  return {
    moto,
    aws,
    api,
    stand,
    token,
    kubeconfig,
    env,
    syncArgs,
    published,
    sync: (...extra) => runBundle(syncArgs(...extra), env),
    startSync: (extra = [], deadlineMs = 60_000) => startBundle(syncArgs(...extra), env, deadlineMs),
    invariant: () => checkPublished(published, { issuer, keys: stand.keys }),
    async provider() {
      try {
        return await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }));
      } catch (error) {
        if ((error as Error).name === 'NoSuchEntityException' || (error as Error).name === 'NoSuchEntity')
          return undefined;
        throw error;
      }
    },
    async reset() {
      aws.reset();
      api.reset();
      stand.reset();
      await resetMoto(moto);
      await s3.send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }),
      );
      await s3.send(
        new PutBucketPolicyCommand({
          Bucket: bucket,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: '*',
                Action: 's3:GetObject',
                Resource: `arn:aws:s3:::${bucket}/${prefix}/*`,
              },
            ],
          }),
        }),
      );
    },
    async stop() {
      s3.destroy();
      iam.destroy();
      await Promise.all([aws.stop(), api.stop()]);
      await Promise.all([stand.stop(), moto.stop()]);
      await Promise.all(
        [stand.chain.directory, compileCache].map((directory) => rm(directory, { recursive: true, force: true })),
      );
    },
  };
}

export interface WorldPool {
  /** Runs `work` on a free world, waiting for one if every world is busy. */
  use<T>(work: (world: FaultWorld) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * A few worlds side by side, so a table's cases can run concurrently: most of a case is waiting
 * (SDK backoff, process start), and the whole suite must stay within its couple of minutes.
 */
export async function startWorldPool(size: number): Promise<WorldPool> {
  const worlds = await Promise.all(Array.from({ length: size }, () => startFaultWorld()));
  const free = [...worlds];
  const waiting: ((world: FaultWorld) => void)[] = [];
  return {
    async use(work) {
      const world = free.pop() ?? (await new Promise<FaultWorld>((resolve) => waiting.push(resolve)));
      try {
        return await work(world);
      } finally {
        const next = waiting.shift();
        if (next === undefined) free.push(world);
        else next(world);
      }
    },
    async stop() {
      await Promise.all(worlds.map((world) => world.stop()));
    },
  };
}

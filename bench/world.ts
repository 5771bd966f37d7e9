/**
 * What the bench runs against, all on loopback: moto_server for S3 and IAM, the kube-apiserver
 * stand-in over TLS, and a TLS host in front of the bucket (the jwks_uri host whose last certificate
 * is thumbprinted). S3, IAM and the API server are reached through counting proxies
 * (test/stand/faults.ts), which can also hold every request for a while: per-request latency.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { startApiServer, type ApiServerStand } from '../test/stand/apiserver.js';
import { createCertificateChain, type CertificateChain } from '../test/stand/certs.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../test/stand/faults.js';
import { resetMoto, startMoto, type MotoServer } from '../test/stand/moto.js';
import { allowPublicRead, anyCredentials, createBucket, motoS3Client } from '../test/stand/s3.js';
import { startTlsHost, type TlsHost } from '../test/stand/tls-host.js';
import type { SigningKey } from '../test/stand/apiserver-keys.js';

export const bucket = 'bench-oidc';
export const prefix = 'clusters/bench';
const region = 'eu-west-1';

export interface BenchWorld {
  readonly issuer: string;
  readonly stand: ApiServerStand;
  readonly aws: FaultProxy;
  readonly api: FaultProxy;
  readonly front: TlsHost;
  readonly kubeconfig: string;
  /** The CLI's environment: credentials, IAM endpoint, nothing from the machine's AWS set-up. */
  readonly env: NodeJS.ProcessEnv;
  /** `irsa-issuer sync` arguments against this world (S3 through the proxy, IAM through the proxy). */
  syncArgs(): string[];
  /** Hold every request at both proxies this long (0: none). */
  setLatency(ms: number): void;
  /** Empty account and bucket (the bucket public), the stand's keys set to `keys` when given. */
  reset(keys?: readonly SigningKey[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchWorld(): Promise<BenchWorld> {
  const moto: MotoServer = await startMoto();
  const chain: CertificateChain = await createCertificateChain();
  const front = await startTlsHost({
    origin: `${moto.endpoint}/${bucket}`,
    certificate: chain.leaf,
    presentedChain: [chain.intermediate.certPem],
  });
  const issuer = `${front.url}/${prefix}`;
  const stand = await startApiServer({ issuer });
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
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: anyCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: anyCredentials.secretAccessKey,
    AWS_REGION: region,
    AWS_ENDPOINT_URL_IAM: aws.url,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  let latencyRule = 0;
  return {
    issuer,
    stand,
    aws,
    api,
    front,
    kubeconfig,
    env,
    syncArgs: () => [
      'sync',
      '--issuer',
      issuer,
      '--target',
      `s3://${bucket}/${prefix}`,
      '--s3-endpoint',
      aws.url,
      '--region',
      region,
      '--kubeconfig',
      kubeconfig,
      '--context',
      'proxied',
      '--log-level',
      'silent',
      '--output',
      'json',
    ],
    setLatency(ms) {
      aws.reset();
      api.reset();
      if (ms > 0) {
        latencyRule += 1;
        for (const proxy of [aws, api])
          proxy.inject({ name: `latency ${String(latencyRule)}`, action: { kind: 'delay', ms } });
      }
    },
    async reset(keys) {
      if (keys !== undefined) stand.setKeys(keys);
      await resetMoto(moto);
      const s3 = motoS3Client(moto);
      await createBucket(s3, bucket);
      await allowPublicRead(s3, bucket, prefix);
      s3.destroy();
    },
    async stop() {
      await Promise.all([aws.stop(), api.stop()]);
      await stand.stop();
      await front.stop();
      await moto.stop();
      await promisify(execFile)('rm', ['-rf', chain.directory, stand.chain.directory]);
    },
  };
}

/** `S3 GET jwks`, `IAM ListOpenIDConnectProviders`, `API GET /openid/v1/jwks`: one request's kind. */
export function requestKind(proxy: 'aws' | 'api', request: ProxiedRequest): string {
  if (proxy === 'api') return `API ${request.method} ${request.path}`;
  if (request.awsAction !== undefined) return `IAM ${request.awsAction}`;
  const key = request.path.replace(`/${bucket}/${prefix}/`, '');
  return `S3 ${request.method} ${key}${request.query.includes('list-type') ? ' (list)' : ''}`;
}

/** How many requests of each kind the two proxies saw since their last reset. */
export function requestCounts(world: BenchWorld): Record<string, number> {
  const counts: Record<string, number> = {};
  const all = [
    ...world.api.requests.map((request) => requestKind('api', request)),
    ...world.aws.requests.map((request) => requestKind('aws', request)),
  ];
  for (const kind of all.sort()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

export const silentLogger = pino({ level: 'silent' });

/**
 * The sequential waves of requests the two proxies saw: a request is one wave deeper than the
 * deepest request answered before it arrived; requests in flight together share a wave. With a
 * per-request delay at the proxies, an independent request cannot be mistaken for a dependent one
 * unless the client sat on it for that long. (The TLS probe of the jwks_uri host does not pass the
 * proxies and is not counted.)
 */
export function sequentialWaves(world: BenchWorld): number {
  const seen = [...world.api.requests, ...world.aws.requests]
    .filter((request) => request.receivedAt !== undefined)
    .sort((a, b) => (a.receivedAt ?? 0) - (b.receivedAt ?? 0));
  const depth = new Map<ProxiedRequest, number>();
  for (const request of seen) {
    let deepest = 0;
    for (const [earlier, level] of depth) {
      if ((earlier.answeredAt ?? Infinity) <= (request.receivedAt ?? 0)) deepest = Math.max(deepest, level);
    }
    depth.set(request, deepest + 1);
  }
  return Math.max(0, ...depth.values());
}

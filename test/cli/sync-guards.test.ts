import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { discoveryPath, jwksPath } from '../../src/issuer.js';
import { generateSigningKey, keysetJson } from '../stand/apiserver-keys.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { resetMoto, setMotoAuthentication, startMoto, type MotoServer } from '../stand/moto.js';
import { anyCredentials, createBucket, motoS3Client, testRegion } from '../stand/s3.js';
import { cli } from './cli.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const issuer = `https://${bucket}.s3.${testRegion}.amazonaws.com/${prefix}`;

let moto: MotoServer;
let stand: ApiServerStand;
let client: S3Client;

// The CLI builds its own S3 client from the SDK's default chain, as it does in production.
beforeAll(async () => {
  moto = await startMoto();
  stand = await startApiServer({ issuer });
  process.env.AWS_ACCESS_KEY_ID = anyCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = anyCredentials.secretAccessKey;
});

afterAll(async () => {
  await stand.stop();
  await moto.stop();
});

beforeEach(async () => {
  await resetMoto(moto);
  stand.reset();
  client = motoS3Client(moto);
  await createBucket(client, bucket);
});

const syncArgs = (...extra: string[]) => [
  'sync',
  '--issuer',
  issuer,
  '--s3-endpoint',
  moto.endpoint,
  '--kubeconfig',
  stand.kubeconfigPath,
  '--context',
  'reader',
  '--no-register',
  ...extra,
];

async function bucketState(): Promise<Record<string, string | undefined>> {
  const state: Record<string, string | undefined> = {};
  for (const key of [jwksPath, discoveryPath]) {
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}` }));
      state[key] = `${object.ETag ?? ''} ${(await object.Body?.transformToString()) ?? ''}`;
    } catch {
      state[key] = undefined;
    }
  }
  return state;
}

async function put(key: string, body: string): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}`, Body: body, ContentType: 'application/json' }),
  );
}

describe('irsa-issuer sync on the command line', () => {
  it('publishes, prints what it did, and exits 0; a second run says nothing changed', async () => {
    const first = await cli(syncArgs());
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/~ publish +2 object\(s\) written/);
    expect(first.stdout).toContain(`create s3://${bucket}/${prefix}/openid/v1/jwks`);
    const second = await cli(syncArgs('--output', 'json'));
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ changed: false, issuer, target: `s3://${bucket}/${prefix}` });
  });

  it('takes every flag from IRSA_ISSUER_* variables, the flag winning', async () => {
    const result = await cli(['sync', '--no-register', '--output', 'json'], {
      IRSA_ISSUER_ISSUER: issuer,
      IRSA_ISSUER_S3_ENDPOINT: moto.endpoint,
      IRSA_ISSUER_KUBECONFIG: stand.kubeconfigPath,
      IRSA_ISSUER_CONTEXT: 'reader',
      IRSA_ISSUER_OUTPUT: 'text',
      IRSA_ISSUER_DRY_RUN: 'false',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: false, changed: true });
  });

  describe('refuses with exit 3, and nothing in the bucket changes, when', () => {
    it('the cluster signs for another issuer, printing the API server flags', async () => {
      stand.setIssuer('https://kubernetes.default.svc.cluster.local');
      const before = await bucketState();
      const result = await cli(syncArgs());
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`--service-account-issuer=${issuer}`);
      expect(result.stderr).toContain(`--service-account-jwks-uri=${issuer}/openid/v1/jwks`);
      expect(await bucketState()).toEqual(before);
    });

    it('a key carries private material', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      stand.override('/openid/v1/jwks', {
        body: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'leaked', use: 'sig', alg: 'RS256' }] },
      });
      const result = await cli(syncArgs());
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/private key material/);
      expect(await bucketState()).toEqual({ [jwksPath]: undefined, [discoveryPath]: undefined });
    });

    it('the key set is empty', async () => {
      stand.override('/openid/v1/jwks', { body: { keys: [] } });
      const result = await cli(syncArgs());
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/no signing keys/);
      expect(await bucketState()).toEqual({ [jwksPath]: undefined, [discoveryPath]: undefined });
    });

    it("the published key set shares no kid with the cluster's (wrong cluster?), unless told to replace it", async () => {
      await put(jwksPath, keysetJson([await generateSigningKey('rsa')]));
      const before = await bucketState();
      const refused = await cli(syncArgs());
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/shares no key.*--allow-key-replacement/s);
      expect(await bucketState()).toEqual(before);
      const replaced = await cli(syncArgs('--allow-key-replacement'));
      expect(replaced.code).toBe(0);
      expect(await bucketState()).not.toEqual(before);
    });

    it('the published discovery document names another issuer', async () => {
      await put(discoveryPath, JSON.stringify({ issuer: 'https://someone-else.example.com' }));
      const before = await bucketState();
      const result = await cli(syncArgs());
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/names issuer https:\/\/someone-else\.example\.com/);
      expect(await bucketState()).toEqual(before);
    });
  });

  describe('configuration errors exit 2 before anything is read', () => {
    it.each([
      [['--issuer', 'http://oidc.example.com', '--target', 'file:///tmp/x'], /https:\/\//],
      [['--issuer', 'https://oidc.example.com/'], /ends with a slash/],
      [['--issuer', 'https://oidc.example.com'], /No --target given/],
      [[], /No issuer given/],
    ])('sync %j', async (args, message) => {
      const result = await cli(['sync', '--no-register', ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });

    it('an unknown flag', async () => {
      const result = await cli(['sync', '--isuer', issuer]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/unknown option '--isuer'/);
    });

    it('a boolean variable that is not a boolean', async () => {
      const result = await cli(['sync', '--issuer', issuer, '--no-register'], { IRSA_ISSUER_DRY_RUN: 'maybe' });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/IRSA_ISSUER_DRY_RUN="maybe" is not a boolean/);
    });
  });

  it('a missing bucket fails with exit 1 and says what to do', async () => {
    const result = await cli([
      'sync',
      '--issuer',
      `https://missing-bucket.s3.${testRegion}.amazonaws.com/x`,
      '--s3-endpoint',
      moto.endpoint,
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'reader',
      '--no-register',
      '--allow-issuer-mismatch',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/missing-bucket/);
    expect(result.stderr).toMatch(/bootstrap|create/i);
  });
});

describe('a sync that fails after publishing', () => {
  let iamMoto: MotoServer;

  beforeAll(async () => {
    // IAM on its own moto that checks credentials: ours belong to no user there, so IAM refuses.
    iamMoto = await startMoto();
    await setMotoAuthentication(iamMoto, true);
    process.env.AWS_ENDPOINT_URL_IAM = iamMoto.endpoint;
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_IAM;
    await iamMoto.stop();
  });

  const registering = () => [...syncArgs().filter((arg) => arg !== '--no-register'), '--thumbprint', 'a'.repeat(40)];

  it('still prints what it wrote, names the failing stage, and exits 1', async () => {
    const result = await cli(registering());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^~ publish\s+2 object\(s\) written/m);
    expect(result.stdout).toMatch(/^✗ register\s+iam:ListOpenIDConnectProviders/m);
    expect(result.stdout).toMatch(/Failed at register, after the changes above were made\./);
    expect(result.stderr).toMatch(/iam:ListOpenIDConnectProviders .* failed/);
    expect(Object.values(await bucketState()).every((state) => state !== undefined)).toBe(true);
  });

  it('says the same in JSON, with the failure and the steps before it', async () => {
    const result = await cli([...registering(), '--output', 'json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      failure: { stage: string; code: string };
      steps: { stage: string; status: string }[];
    };
    expect(report.failure).toMatchObject({ stage: 'register', code: 'ERR_IAM' });
    expect(report.steps.map((step) => `${step.stage}:${step.status}`)).toEqual([
      'read:unchanged',
      'build:unchanged',
      'publish:changed',
      'thumbprint:unchanged',
      'register:failed',
    ]);
  });
});

describe('a sync whose S3 endpoint accepts connections and never answers', () => {
  it('stops at the stage deadline with exit 1, naming the endpoint and the stage', async () => {
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as AddressInfo;
    try {
      const started = Date.now();
      const args = syncArgs().map((arg) => (arg === moto.endpoint ? `http://127.0.0.1:${port}` : arg));
      const result = await cli([...args, '--timeout', '2']);
      expect(Date.now() - started).toBeLessThan(8000);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`127\\.0\\.0\\.1:${port}.*deadline|publish stage did not finish within 2 s`),
      );
      expect(result.stdout).toMatch(/Failed at publish; nothing was written\./);
    } finally {
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });
});

describe('a sync whose IAM endpoint accepts connections and never answers', () => {
  it('publishes, then stops at the register deadline with exit 1 and says what was written', async () => {
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as AddressInfo;
    process.env.AWS_ENDPOINT_URL_IAM = `http://127.0.0.1:${port}`;
    try {
      const started = Date.now();
      const args = syncArgs().filter((arg) => arg !== '--no-register');
      const result = await cli([...args, '--thumbprint', 'a'.repeat(40), '--timeout', '2']);
      expect(Date.now() - started).toBeLessThan(8000);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^~ publish\s+2 object\(s\) written/m);
      expect(result.stdout).toMatch(/Failed at register, after the changes above were made\./);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_IAM;
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });
});

describe('values IAM or HTTP would refuse are usage errors before anything is written', () => {
  it.each([
    [['--cache-control', 'max-age=300\r\nX-Injected: 1'], /--cache-control .* is not a valid header value/],
    [['--tag', 'aws:cluster=prod'], /starts with "aws:"/],
    [['--audience', 'a'.repeat(256)], /must be 1 to 255 characters/],
  ])('sync %j exits 2 and leaves the bucket as it was', async (extra, message) => {
    const args = syncArgs().filter((arg) => arg !== '--no-register');
    const result = await cli([...args, '--thumbprint', 'a'.repeat(40), ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(await bucketState()).toEqual({ [jwksPath]: undefined, [discoveryPath]: undefined });
  });
});

describe('IRSA_ISSUER_* variables', () => {
  it.each([
    ['IRSA_ISSUER_DRYRUN', 'IRSA_ISSUER_DRY_RUN'],
    ['IRSA_ISSUER_ISUER', 'IRSA_ISSUER_ISSUER'],
  ])('a misspelt %s is exit 2 with a did-you-mean, and nothing is written', async (name, meant) => {
    const result = await cli(syncArgs(), { [name]: 'true' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${name} is set, but no option of any command reads it. Did you mean ${meant}?`);
    expect(await bucketState()).toEqual({ [jwksPath]: undefined, [discoveryPath]: undefined });
  });

  it("leaves another command's variable alone, so one environment serves sync and verify", async () => {
    const result = await cli(syncArgs(), { IRSA_ISSUER_SERVICE_ACCOUNT: 'team-a/app' });
    expect(result.code).toBe(0);
  });
});

describe('an object far larger than any document at the JWKS key', () => {
  it('is refused at the 1 MiB cap with exit 1, and nothing is written', async () => {
    await put(jwksPath, ' '.repeat(2 * 1024 * 1024));
    const before = await bucketState();
    const result = await cli(syncArgs());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/openid\/v1\/jwks is 2097152 bytes, more than the 1048576/);
    expect(await bucketState()).toEqual(before);
  });
});

describe('the job reaching AWS with its own token (IRSA through its own issuer)', () => {
  it("warns in the report when the key that signed the job's token is not published: the lock-out", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'irsa-lockout-'));
    try {
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'retired-key' })).toString('base64url');
      const tokenFile = join(directory, 'token');
      await writeFile(tokenFile, `${header}.e30.c2ln`);
      const result = await cli(syncArgs(), { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^! locked out: the key retired-key that signed this job's own AWS token/m);
      expect(result.stdout).toContain(`irsa-issuer sync --issuer ${issuer}`);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { discoveryPath, jwksPath } from '../../src/issuer.js';
import { objectKey } from '../../src/publish/target.js';
import { ConfigError, PublishConflictError, PublishError } from '../../src/errors.js';
import { applyPublish, planPublish, readActual, type DesiredObject } from '../../src/publish/plan.js';
import { createS3Client, S3Store } from '../../src/publish/s3.js';
import type { ObjectStore } from '../../src/publish/store.js';
import { freePort, resetMoto, setMotoAuthentication, startMoto, type MotoServer } from '../stand/moto.js';
import {
  allowPublicRead,
  anonymousGet,
  anyCredentials,
  createBucket,
  createS3User,
  motoS3Client,
  recordRequests,
} from '../stand/s3.js';

const bucket = 'irsa-issuer-public';
const prefix = 'clusters/prod';
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (body: Uint8Array) => new TextDecoder().decode(body);
const document = (key: string, body: string): DesiredObject => ({
  key,
  body: bytes(body),
  contentType: 'application/json',
  cacheControl: 'max-age=300',
});

const issuer = `https://${bucket}.s3.eu-west-1.amazonaws.com/${prefix}`;
const jwks = document(
  jwksPath,
  '{"keys":[{"use":"sig","kty":"EC","kid":"one","crv":"P-256","alg":"ES256","x":"x","y":"y"}]}',
);
const discovery = document(discoveryPath, `{"issuer":"${issuer}","jwks_uri":"${issuer}/openid/v1/jwks"}`);
const fullKey = (key: string) => objectKey(prefix, key);

async function publish(store: ObjectStore, desired: readonly DesiredObject[] = [jwks, discovery]) {
  const plan = planPublish(
    desired,
    await readActual(
      store,
      desired.map((object) => object.key),
    ),
  );
  return { plan, applied: await applyPublish(plan, store) };
}

let moto: MotoServer;
let client: S3Client;
/** Someone else with write access to the same bucket: another CronJob, a person with the CLI. */
let rival: S3Client;

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto.stop();
});
beforeEach(async () => {
  await resetMoto(moto);
  client = motoS3Client(moto);
  rival = motoS3Client(moto);
  await createBucket(client, bucket);
});
afterEach(() => {
  client.destroy();
  rival.destroy();
  vi.unstubAllEnvs();
});

async function rivalPut(
  key: string,
  body: string,
  headers: { contentType?: string; cacheControl?: string } = {},
): Promise<void> {
  await rival.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: fullKey(key),
      Body: bytes(body),
      ContentType: headers.contentType,
      CacheControl: headers.cacheControl,
    }),
  );
}

async function storedText(key: string): Promise<string> {
  const response = await rival.send(new GetObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
  return (await response.Body?.transformToString()) ?? '';
}

describe('publishing to S3 (moto)', () => {
  it('publishes both documents, which a stranger fetches anonymously once the bucket is public-read', async () => {
    const { applied } = await publish(new S3Store(client, bucket, prefix));
    expect(applied.written.map((write) => write.key)).toEqual([jwksPath, discoveryPath]);

    // moto enforces bucket policies on unsigned GETs: without the policy the objects are private.
    expect((await anonymousGet(moto, bucket, fullKey(discoveryPath))).status).toBe(403);

    await allowPublicRead(client, bucket, prefix);
    for (const object of [discovery, jwks]) {
      const response = await anonymousGet(moto, bucket, fullKey(object.key));
      expect(response.status).toBe(200);
      expect(text(response.body)).toBe(text(object.body));
      expect(response.contentType).toBe('application/json');
      expect(response.cacheControl).toBe('max-age=300');
    }
  });

  it('writes the JWKS before the discovery document that names it, each only if it does not exist yet', async () => {
    const requests = recordRequests(client);
    await publish(new S3Store(client, bucket, prefix));
    const puts = requests.filter((request) => request.command === 'PutObjectCommand');
    expect(puts.map((request) => [request.key, request.status])).toEqual([
      [fullKey(jwksPath), 200],
      [fullKey(discoveryPath), 200],
    ]);
  });

  it('addresses the bucket path-style at a custom endpoint', async () => {
    const requests = recordRequests(client);
    await publish(new S3Store(client, bucket, prefix));
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.hostname).toBe('127.0.0.1');
      expect(request.path.startsWith(`/${bucket}/${prefix}/`)).toBe(true);
    }
  });

  it('a second publish reads both objects and writes nothing', async () => {
    const store = new S3Store(client, bucket, prefix);
    await publish(store);
    const requests = recordRequests(client);

    const { plan, applied } = await publish(store);

    expect(plan.writes).toEqual([]);
    expect(applied.written).toEqual([]);
    expect(requests.map((request) => request.command)).toEqual(['GetObjectCommand', 'GetObjectCommand']);
  });

  it('rewrites only the changed document, replacing exactly the version it read', async () => {
    const store = new S3Store(client, bucket, prefix);
    await publish(store);
    const before = await store.get(jwksPath);
    const rotated = document(jwksPath, '{"keys":[{"kid":"one"},{"kid":"two"}]}');
    const requests = recordRequests(client);

    const { applied } = await publish(store, [rotated, discovery]);

    expect(applied.written.map((write) => [write.key, write.reason, write.condition])).toEqual([
      [jwksPath, 'update-content', { ifMatch: before?.etag }],
    ]);
    expect(requests.filter((request) => request.command === 'PutObjectCommand').map((request) => request.key)).toEqual([
      fullKey(jwksPath),
    ]);
    expect(await storedText(jwksPath)).toBe(text(rotated.body));
  });

  it('gives a document uploaded by hand without Cache-Control its headers', async () => {
    await rivalPut(jwksPath, text(jwks.body), { contentType: 'application/json' });
    await rivalPut(discoveryPath, text(discovery.body), {
      contentType: 'application/json',
      cacheControl: 'max-age=300',
    });

    const { applied } = await publish(new S3Store(client, bucket, prefix));

    expect(applied.written.map((write) => [write.key, write.reason])).toEqual([[jwksPath, 'update-metadata']]);
    expect((await new S3Store(client, bucket, prefix).get(jwksPath))?.cacheControl).toBe('max-age=300');
  });

  it('an object changed by another writer since it was read: 412, re-read, written once more', async () => {
    const store = new S3Store(client, bucket, prefix);
    await publish(store);
    const rotated = document(jwksPath, '{"keys":[{"kid":"two"}]}');
    const plan = planPublish([rotated], await readActual(store, [jwksPath]));
    await rivalPut(jwksPath, '{"keys":[{"kid":"theirs"}]}', {
      contentType: 'application/json',
      cacheControl: 'max-age=300',
    });
    const requests = recordRequests(client);

    const applied = await applyPublish(plan, store);

    expect(requests.map((request) => [request.command, request.status])).toEqual([
      ['PutObjectCommand', 412],
      ['GetObjectCommand', 200],
      ['PutObjectCommand', 200],
    ]);
    expect(applied.written).toHaveLength(1);
    expect(await storedText(jwksPath)).toBe(text(rotated.body));
  });

  it('an object created by another writer after we found none: If-None-Match holds it off, then it is replaced', async () => {
    const store = new S3Store(client, bucket, prefix);
    const plan = planPublish([jwks], await readActual(store, [jwksPath]));
    await rivalPut(jwksPath, '{"keys":[]}', { contentType: 'application/json', cacheControl: 'max-age=300' });

    const applied = await applyPublish(plan, store);

    expect(applied.written.map((write) => write.reason)).toEqual(['update-content']);
    expect(await storedText(jwksPath)).toBe(text(jwks.body));
  });

  it('when the other writer already wrote exactly our document, nothing more is written', async () => {
    const store = new S3Store(client, bucket, prefix);
    const plan = planPublish([jwks], await readActual(store, [jwksPath]));
    await rivalPut(jwksPath, text(jwks.body), { contentType: 'application/json', cacheControl: 'max-age=300' });
    const requests = recordRequests(client);

    const applied = await applyPublish(plan, store);

    expect(applied).toEqual({ written: [], writtenByOther: [jwksPath] });
    expect(requests.map((request) => [request.command, request.status])).toEqual([
      ['PutObjectCommand', 412],
      ['GetObjectCommand', 200],
    ]);
  });

  it('a writer that changes the object before each of our writes ends in PublishConflictError', async () => {
    const store = new S3Store(client, bucket, prefix);
    await publish(store);
    let rivalWrites = 0;
    // A second publisher on the same prefix, getting its own JWKS in just before each of ours;
    // moto's real If-Match check then refuses ours.
    const contested: ObjectStore = {
      description: store.description,
      get: (key) => store.get(key),
      put: async (write) => {
        rivalWrites++;
        await rivalPut(write.key, `{"keys":[{"kid":"rival-${rivalWrites}"}]}`);
        return store.put(write);
      },
    };
    const plan = planPublish(
      [document(jwksPath, '{"keys":[{"kid":"ours"}]}'), discovery],
      await readActual(store, [jwksPath, discoveryPath]),
    );

    const failure = applyPublish(plan, contested);

    await expect(failure).rejects.toThrow(PublishConflictError);
    await expect(failure).rejects.toThrow(
      /openid\/v1\/jwks.*another writer is publishing to the same target.*two clusters share this prefix/s,
    );
    expect(rivalWrites).toBe(2);
    // Stopped at the JWKS: the discovery document was not touched.
    expect(await storedText(discoveryPath)).toBe(text(discovery.body));
  });

  it('a missing bucket fails with PublishError that says how to create it', async () => {
    const failure = publish(new S3Store(client, 'irsa-issuer-missing', prefix));
    await expect(failure).rejects.toThrow(PublishError);
    await expect(failure).rejects.toThrow(
      /s3:\/\/irsa-issuer-missing\/clusters\/prod\/openid\/v1\/jwks.*does not exist.*Create it, with a bucket policy/,
    );
  });

  it('an unreachable endpoint fails with PublishError naming the endpoint', async () => {
    const port = await freePort();
    const nowhere = createS3Client({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: anyCredentials,
    });
    try {
      const failure = new S3Store(nowhere, bucket, prefix).get(jwksPath);
      await expect(failure).rejects.toThrow(PublishError);
      await expect(failure).rejects.toThrow(`could not reach http://127.0.0.1:${port}`);
    } finally {
      nowhere.destroy();
    }
  });

  describe('with moto checking IAM permissions', () => {
    /** An IAM user allowed exactly `actions` on the bucket's objects; moto checks every request from here on. */
    async function userAllowed(name: string, actions: readonly string[]): Promise<S3Client> {
      const credentials = await createS3User(moto, name, bucket, actions);
      await setMotoAuthentication(moto, true);
      return motoS3Client(moto, credentials);
    }
    afterEach(async () => {
      await setMotoAuthentication(moto, false);
    });

    it('credentials that may read but not write fail with PublishError naming s3:PutObject and the object ARN', async () => {
      const reader = await userAllowed('reader', ['s3:GetObject']);
      try {
        const failure = publish(new S3Store(reader, bucket, prefix));
        await expect(failure).rejects.toThrow(PublishError);
        await expect(failure).rejects.toThrow(
          `the credentials lack s3:PutObject on arn:aws:s3:::${bucket}/${prefix}/openid/v1/jwks`,
        );
      } finally {
        reader.destroy();
      }
    });

    it('credentials that may not read fail with PublishError naming s3:GetObject', async () => {
      const writer = await userAllowed('writer', ['s3:PutObject']);
      try {
        const failure = publish(new S3Store(writer, bucket, prefix));
        await expect(failure).rejects.toThrow(PublishError);
        await expect(failure).rejects.toThrow(
          `Reading s3://${bucket}/${prefix}/openid/v1/jwks was denied: the credentials lack s3:GetObject`,
        );
      } finally {
        writer.destroy();
      }
    });

    it('a publisher allowed s3:GetObject and s3:PutObject on the objects publishes', async () => {
      const publisher = await userAllowed('publisher', ['s3:GetObject', 's3:PutObject']);
      try {
        const { applied } = await publish(new S3Store(publisher, bucket, prefix));
        expect(applied.written).toHaveLength(2);
      } finally {
        publisher.destroy();
      }
    });

    it('unknown credentials fail with PublishError saying S3 rejected them', async () => {
      await setMotoAuthentication(moto, true);
      const failure = new S3Store(client, bucket, prefix).get(jwksPath);
      await expect(failure).rejects.toThrow(PublishError);
      await expect(failure).rejects.toThrow(/S3 rejected the credentials \(InvalidAccessKeyId\)/);
    });
  });

  describe('configuration from the environment', () => {
    /** No region, no credentials anywhere the SDK looks (and no instance metadata to wait for). */
    function emptyAwsEnvironment(): void {
      for (const name of [
        'AWS_REGION',
        'AWS_DEFAULT_REGION',
        'AWS_PROFILE',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_ROLE_ARN',
        'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
        'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      ]) {
        vi.stubEnv(name, undefined);
      }
      vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/irsa-issuer/config');
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/irsa-issuer/credentials');
      vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    }

    it('no region for S3 is a ConfigError that says to pass --region or set AWS_REGION', async () => {
      emptyAwsEnvironment();
      const regionless = createS3Client({ credentials: anyCredentials });
      try {
        const failure = new S3Store(regionless, bucket, prefix).get(jwksPath);
        await expect(failure).rejects.toThrow(ConfigError);
        await expect(failure).rejects.toThrow(/pass --region .*AWS_REGION/);
      } finally {
        regionless.destroy();
      }
    });

    it('a custom endpoint needs no region: it signs for us-east-1, as S3-compatible stores expect', async () => {
      emptyAwsEnvironment();
      const compatible = createS3Client({ endpoint: moto.endpoint, credentials: anyCredentials });
      try {
        expect(await compatible.config.region()).toBe('us-east-1');
        const { applied } = await publish(new S3Store(compatible, bucket, prefix));
        expect(applied.written).toHaveLength(2);
      } finally {
        compatible.destroy();
      }
    });

    it('no credentials fail with PublishError that says how to provide them', async () => {
      emptyAwsEnvironment();
      const anonymous = createS3Client({ region: 'eu-west-1', endpoint: moto.endpoint });
      try {
        const failure = new S3Store(anonymous, bucket, prefix).get(jwksPath);
        await expect(failure).rejects.toThrow(PublishError);
        await expect(failure).rejects.toThrow(
          /no AWS credentials were found.*AWS_ACCESS_KEY_ID.*AWS_WEB_IDENTITY_TOKEN_FILE/,
        );
      } finally {
        anonymous.destroy();
      }
    });

    it('a malformed --s3-endpoint is a ConfigError', () => {
      expect(() => createS3Client({ endpoint: 'minio:9000' })).toThrow(ConfigError);
    });
  });
});

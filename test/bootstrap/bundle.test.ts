/**
 * The bundle runs bootstrap as `npx irsa-issuer` would: a process, its environment, moto. It proves
 * what only the bundle can get wrong: the publisher's actions (terraform/publisher-actions.json)
 * are inside it, and the S3 Control client is too.
 */
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dummyCredentials, motoIamClient } from '../stand/iam.js';
import { startMoto, type MotoServer } from '../stand/moto.js';
import { testRegion } from '../stand/s3.js';

const bundle = join(import.meta.dirname, '..', '..', 'dist', 'irsa-issuer.mjs');
let moto: MotoServer;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  dir = await mkdtemp(join(tmpdir(), 'irsa-bootstrap-bundle-'));
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
});
afterAll(async () => {
  await moto.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the bundle', () => {
  it('bootstraps, giving the publisher role the actions of terraform/publisher-actions.json', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        bundle,
        'bootstrap',
        '--bucket',
        'acme-oidc',
        '--region',
        testRegion,
        '--public-key-file',
        join(dir, 'sa.pub'),
        '--s3-endpoint',
        moto.endpoint,
        '--thumbprint',
        'b'.repeat(40),
        '--no-verify',
        '--output',
        'json',
      ],
      {
        env: {
          PATH: process.env.PATH,
          AWS_ACCESS_KEY_ID: dummyCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: dummyCredentials.secretAccessKey,
          AWS_ENDPOINT_URL_IAM: moto.endpoint,
          AWS_ENDPOINT_URL_STS: moto.endpoint,
        },
      },
    );
    expect((JSON.parse(stdout) as { role: { name: string } }).role.name).toBe('irsa-issuer-acme-oidc');
    const { PolicyDocument } = await (
      await motoIamClient(moto)
    ).send(new GetRolePolicyCommand({ RoleName: 'irsa-issuer-acme-oidc', PolicyName: 'irsa-issuer-publisher' }));
    const policy = JSON.parse(decodeURIComponent(PolicyDocument ?? '')) as { Statement: { Action: string[] }[] };
    const actions = JSON.parse(await readFile('terraform/publisher-actions.json', 'utf8')) as Record<string, string[]>;
    expect(policy.Statement.flatMap((statement) => statement.Action).sort()).toEqual(
      Object.values(actions).flat().sort(),
    );
  });
});

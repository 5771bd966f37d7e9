/**
 * `irsa-issuer bootstrap` and `irsa-issuer trust-policy` as a user runs them (in-process, with the
 * flags and environment a shell would pass), against moto. The issuer bootstrap computes,
 * https://BUCKET.s3.REGION.amazonaws.com/PREFIX, is not reachable here, so these runs pin the
 * thumbprint and skip verify (--no-verify); bootstrap.test.ts verifies through a local TLS host.
 */
import { CreateRoleCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BootstrapReport } from '../../src/bootstrap/index.js';
import { cli } from '../cli/cli.js';
import { chartPath, helm, type Rendered } from '../chart/helm.js';
import { dummyCredentials, motoIamClient } from '../stand/iam.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { anonymousGet, motoS3Client, testRegion } from '../stand/s3.js';

const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const issuer = `https://${bucket}.s3.${testRegion}.amazonaws.com/${prefix}`;
const providerName = `${bucket}.s3.${testRegion}.amazonaws.com/${prefix}`;

let moto: MotoServer;
let dir: string;
let keyFile: string;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  dir = await mkdtemp(join(tmpdir(), 'irsa-bootstrap-cli-'));
  keyFile = join(dir, 'sa.pub');
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
});
afterAll(async () => {
  await moto.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await resetMoto(moto);
  // The SDK reads these from the process environment; moto answers IAM and STS on one port.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: dummyCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: dummyCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_IAM: moto.endpoint,
    AWS_ENDPOINT_URL_STS: moto.endpoint,
  });
});
afterEach(() => {
  process.env = { ...saved };
});

const bootstrapArgs = (...extra: string[]) => [
  'bootstrap',
  '--bucket',
  bucket,
  '--region',
  testRegion,
  '--prefix',
  prefix,
  '--public-key-file',
  keyFile,
  '--s3-endpoint',
  moto.endpoint,
  '--thumbprint',
  'a'.repeat(40),
  '--no-verify',
  ...extra,
];

async function bucketExists(): Promise<boolean> {
  return motoS3Client(moto)
    .send(new HeadBucketCommand({ Bucket: bucket }))
    .then(
      () => true,
      () => false,
    );
}

describe('irsa-issuer bootstrap', () => {
  it('--dry-run prints the plan as JSON and writes nothing', async () => {
    const result = await cli(bootstrapArgs('--dry-run', '--output', 'json'));
    expect([result.code, result.stderr]).toEqual([0, '']);
    const report = JSON.parse(result.stdout) as BootstrapReport;
    expect(report).toMatchObject({ command: 'bootstrap', issuer, dryRun: true, changed: true, cluster: 'prod' });
    expect(report.role.changes.join('\n')).toMatch(/create role irsa-issuer-prod/);
    expect(await bucketExists()).toBe(false);
  });

  it('sets everything up, prints the flags and the helm line, and a second run changes nothing', async () => {
    const first = await cli(bootstrapArgs());
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toContain(`--service-account-issuer=${issuer}`);
    expect(first.stdout).toContain(`--service-account-jwks-uri=${issuer}/openid/v1/jwks`);
    for (const guide of ['kubeadm', 'k3s', 'rke2', 'talos', 'openshift'])
      expect(first.stdout).toContain(`docs/${guide}.md`);
    expect(first.stdout).toContain('helm install irsa-issuer charts/irsa-issuer');
    expect((await anonymousGet(moto, bucket, `${prefix}/openid/v1/jwks`)).status).toBe(200);

    const second = await cli(bootstrapArgs('--output', 'json'));
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as BootstrapReport).changed).toBe(false);
  });

  it('prints a helm install the chart accepts, for the role and ServiceAccount bootstrap trusts', async () => {
    const result = await cli(
      bootstrapArgs('--output', 'json', '--namespace', 'platform', '--service-account', 'publisher'),
    );
    const report = JSON.parse(result.stdout) as BootstrapReport;
    const words = report.next.helm
      .replaceAll('\\\n', ' ')
      .split(/\s+/)
      .filter((word) => word !== '');
    expect(words.slice(0, 4)).toEqual(['helm', 'install', 'irsa-issuer', 'charts/irsa-issuer']);
    const rendered = await helm([
      'template',
      ...words.slice(2).map((word) => (word === 'charts/irsa-issuer' ? chartPath : word)),
    ]);
    expect(rendered.stderr).toBe('');
    const objects = loadAll(rendered.stdout).filter(Boolean) as Rendered[];
    const account = objects.find((object) => object.kind === 'ServiceAccount');
    expect(account?.metadata).toMatchObject({ name: 'publisher', namespace: 'platform' });
    expect(rendered.stdout).toContain(report.role.arn);
    expect(report.role.arn).toBe('arn:aws:iam::123456789012:role/irsa-issuer-prod');
  });

  it('names what is missing, exit 2, before any request', async () => {
    const result = await cli(['bootstrap', '--region', testRegion]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bootstrap needs --bucket/);
    expect(result.stdout).toBe('');
  });
});

interface Trust {
  Statement: { Principal: { Federated: string }; Condition: Record<string, Record<string, string>> }[];
}

describe('irsa-issuer trust-policy', () => {
  const base = ['trust-policy', '--issuer', issuer, '--namespace', 'team-a'];

  it('prints the trust policy with the exact condition keys, without calling AWS given --account-id', async () => {
    process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:9'; // nothing listens: a call would fail the run
    const result = await cli(
      [...base, '--service-account', 'app', '--account-id', '111122223333', '--output', 'json'],
      {},
    );
    expect([result.code, result.stderr]).toEqual([0, '']);
    const output = JSON.parse(result.stdout) as { trustPolicy: Trust; podSpec: unknown; roleArn: string };
    const [statement] = output.trustPolicy.Statement;
    expect(statement?.Principal.Federated).toBe(`arn:aws:iam::111122223333:oidc-provider/${providerName}`);
    expect(statement?.Condition).toEqual({
      StringEquals: {
        [`${providerName}:sub`]: 'system:serviceaccount:team-a:app',
        [`${providerName}:aud`]: 'sts.amazonaws.com',
      },
    });
  });

  it('takes the ServiceAccount as NAMESPACE/NAME too, as verify does, so one IRSA_ISSUER_SERVICE_ACCOUNT serves both', async () => {
    const flags = ['--account-id', '111122223333', '--output', 'json'];
    const separate = await cli([...base, '--service-account', 'app', ...flags]);
    const joined = await cli(['trust-policy', '--issuer', issuer, ...flags], {
      IRSA_ISSUER_SERVICE_ACCOUNT: 'team-a/app',
    });
    expect([joined.code, joined.stderr]).toEqual([0, '']);
    expect(joined.stdout).toBe(separate.stdout);
    const clash = await cli([...base, '--service-account', 'team-b/app', ...flags]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/names the namespace team-b, but --namespace says team-a/);
    const none = await cli(['trust-policy', '--issuer', issuer, '--service-account', 'app', ...flags]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/names no namespace: pass NAMESPACE\/NAME/);
  });

  it("with --service-account '*' uses StringLike and warns on stderr", async () => {
    const result = await cli([...base, '--service-account', '*', '--account-id', '111122223333', '--output', 'json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/trusts every ServiceAccount in the namespace team-a/);
    const [statement] = (JSON.parse(result.stdout) as { trustPolicy: Trust }).trustPolicy.Statement;
    expect(statement?.Condition.StringLike).toEqual({ [`${providerName}:sub`]: 'system:serviceaccount:team-a:*' });
    expect(statement?.Condition.StringEquals).toEqual({ [`${providerName}:aud`]: 'sts.amazonaws.com' });
  });

  it('prints the annotation and a pod-spec fragment with the projected token and AWS variables', async () => {
    const result = await cli([
      ...base,
      '--service-account',
      'app',
      '--role-name',
      'team-a-app',
      '--audience',
      'sts.amazonaws.com',
    ]);
    expect(result.code).toBe(0);
    const [, yamlPart = ''] = result.stdout.split('# ServiceAccount annotation');
    const [annotation = '', pod = ''] = yamlPart.split('# Pod spec fragment');
    expect(load(annotation.slice(annotation.indexOf('\n') + 1))).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/team-a-app',
    });
    const fragment = load(pod.slice(pod.indexOf('\n') + 1)) as {
      spec: {
        serviceAccountName: string;
        containers: { env: { name: string; value: string }[] }[];
        volumes: { projected: { sources: { serviceAccountToken: Record<string, unknown> }[] } }[];
      };
    };
    expect(fragment.spec.serviceAccountName).toBe('app');
    expect(
      Object.fromEntries(fragment.spec.containers[0]?.env.map((env) => [env.name, env.value]) ?? []),
    ).toMatchObject({
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/team-a-app',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/sts.amazonaws.com/serviceaccount/token',
      AWS_REGION: testRegion,
    });
    expect(fragment.spec.volumes[0]?.projected.sources[0]?.serviceAccountToken).toEqual({
      audience: 'sts.amazonaws.com',
      expirationSeconds: 3600,
      path: 'token',
    });
  });

  it('--create twice gives one role, the second run changing nothing', async () => {
    const create = [...base, '--service-account', 'app', '--create', '--role-name', 'team-a-app', '--output', 'json'];
    const first = await cli(create);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect((JSON.parse(first.stdout) as { changes: string[] }).changes).toHaveLength(1);
    const second = await cli(create);
    expect((JSON.parse(second.stdout) as { changes: string[] }).changes).toEqual([]);
    const { Roles } = await (await motoIamClient(moto)).send(new ListRolesCommand({}));
    expect((Roles ?? []).map((role) => role.RoleName)).toEqual(['team-a-app']);
  });

  it('--create refuses a role of that name that irsa-issuer did not make (exit 3, named)', async () => {
    await (
      await motoIamClient(moto)
    ).send(
      new CreateRoleCommand({ RoleName: 'team-a-app', AssumeRolePolicyDocument: JSON.stringify({ Statement: [] }) }),
    );
    const result = await cli([...base, '--service-account', 'app', '--create', '--role-name', 'team-a-app']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/The IAM role team-a-app already exists/);
  });

  it('takes an already-public issuer with its trailing slash (AKS) as tokens carry it, in the condition keys too', async () => {
    const aks =
      'https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/';
    const name = aks.slice('https://'.length);
    const result = await cli([
      'trust-policy',
      '--issuer',
      aks,
      '--namespace',
      'team-a',
      '--service-account',
      'app',
      '--account-id',
      '111122223333',
      '--region',
      'eu-west-1',
      '--output',
      'json',
    ]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const [statement] = (JSON.parse(result.stdout) as { trustPolicy: Trust }).trustPolicy.Statement;
    expect(statement?.Principal.Federated).toBe(`arn:aws:iam::111122223333:oidc-provider/${name}`);
    expect(Object.keys(statement?.Condition.StringEquals ?? {})).toEqual([`${name}:sub`, `${name}:aud`]);
  });

  it('needs an issuer and a namespace (exit 2)', async () => {
    expect((await cli(['trust-policy', '--namespace', 'a', '--service-account', 'b'])).code).toBe(2);
    expect((await cli(['trust-policy', '--issuer', issuer, '--service-account', 'b'])).stderr).toMatch(/--namespace/);
  });
});

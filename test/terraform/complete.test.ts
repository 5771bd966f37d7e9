/**
 * terraform/examples/complete, applied against moto: the bucket, the IAM OIDC provider and the
 * in-cluster publisher's role, with the documents published by the job (the bundle's sync), as in
 * production. The issuer is a local TLS host on port 443 in front of moto's bucket (as a custom domain
 * or CloudFront would be), so `irsa-issuer verify` can fetch what Terraform built over real HTTPS.
 * One apply for the whole file: the steps below run in order and build on each other.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import {
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { motoIamClient } from '../stand/iam.js';
import { startMoto, type MotoServer } from '../stand/moto.js';
import { anonymousGet, motoS3Client, testRegion } from '../stand/s3.js';
import {
  accountContents,
  grants,
  parsePolicy,
  publisherActions,
  publisherGrants,
  readProvider,
  readPublisherRole,
} from './account.js';
import { startIssuerHost, type IssuerHost } from './issuer-host.js';
import { flagValues, irsaIssuer, motoEnv, thumbprintOf } from './irsa-issuer.js';
import { createWorkspace, moduleSource, terraformOrSkip, type Workspace } from './workspace.js';

const setup = await terraformOrSkip();
const bucket = 'acme-oidc';
const prefix = 'clusters/prod';
const documentKeys = [`${prefix}/.well-known/openid-configuration`, `${prefix}/openid/v1/jwks`];
/** The job's objects: the two public documents and its record of exposed key IDs. */
const publisherKeys = [...documentKeys, `${prefix}/openid/v1/exposed-kids`];
const kubeadmIssuer = 'https://kubernetes.default.svc.cluster.local';

interface CompleteOutputs {
  readonly issuer_url: string;
  readonly jwks_uri: string;
  readonly oidc_provider_arn: string;
  readonly publisher_role_arn: string;
  readonly target: string;
  readonly apiserver_flags: string[];
  readonly helm_values: Record<string, string>;
}

describe.skipIf(setup === undefined)('terraform/examples/complete against moto', { timeout: 240_000 }, () => {
  let moto: MotoServer;
  let front: IssuerHost;
  let workspace: Workspace;
  let stand: ApiServerStand | undefined;
  let iam: IAMClient;
  let s3: S3Client;
  let issuer: string;
  let thumbprint: string;
  let outputs: CompleteOutputs;

  beforeAll(async () => {
    if (setup === undefined) return;
    moto = await startMoto();
    iam = await motoIamClient(moto);
    s3 = motoS3Client(moto);
    front = await startIssuerHost(`${moto.endpoint}/${bucket}`);
    issuer = `${front.url}/${prefix}`;
    workspace = await createWorkspace(setup, 'complete', moto);
  }, 120_000);

  afterAll(async () => {
    await stand?.stop();
    await front.stop();
    await moto.stop();
    iam.destroy();
    s3.destroy();
    await workspace.remove();
    if (stand) await rm(stand.chain.directory, { recursive: true, force: true });
  });

  it('the module and both examples are formatted, and the example is valid', async () => {
    await workspace.terraform(['fmt', '-check', '-recursive', '-no-color', moduleSource]);
    const { stdout } = await workspace.terraform(['validate', '-no-color']);
    expect(stdout).toMatch(/The configuration is valid/);
  });

  it('apply builds the bucket, the provider and the publisher role', async () => {
    // The TLS host's CA is private, so IAM needs its thumbprint, computed as the README says.
    thumbprint = await thumbprintOf(front.url);
    expect(thumbprint).toBe(front.chain.intermediate.sha1);
    // The job's objects land in the bucket later; force_destroy lets destroy remove them with it.
    await workspace.setVariables({
      bucket_name: bucket,
      prefix,
      issuer_url: issuer,
      thumbprint_list: [thumbprint],
      force_destroy: true,
    });
    const { stdout: applied } = await workspace.terraform(['apply', '-auto-approve', '-input=false', '-no-color']);
    expect(applied).toMatch(/Apply complete! Resources: 8 added, 0 changed, 0 destroyed/);
    expect(applied).not.toMatch(/Warning/);
    outputs = (await workspace.outputs()) as unknown as CompleteOutputs;
  });

  it("outputs the issuer, the kube-apiserver flags and the chart's values", () => {
    expect(outputs.issuer_url).toBe(issuer);
    expect(outputs.jwks_uri).toBe(`${issuer}/openid/v1/jwks`);
    expect(outputs.target).toBe(`s3://${bucket}/${prefix}`);
    // The new issuer first (it signs), the old one after it, so tokens issued before stay valid.
    expect(outputs.apiserver_flags).toEqual([
      `--service-account-issuer=${issuer}`,
      `--service-account-issuer=${kubeadmIssuer}`,
      `--service-account-jwks-uri=${issuer}/openid/v1/jwks`,
    ]);
    expect(outputs.helm_values).toEqual({
      issuer,
      'aws.roleArn': outputs.publisher_role_arn,
      'aws.region': testRegion,
    });
    expect(outputs.oidc_provider_arn).toBe(
      `arn:aws:iam::123456789012:oidc-provider/${issuer.slice('https://'.length)}`,
    );
  });

  it("the provider trusts the issuer for sts.amazonaws.com with the host's thumbprint", async () => {
    const provider = await readProvider(iam, outputs.oidc_provider_arn);
    expect(provider.ClientIDList).toEqual(['sts.amazonaws.com']);
    expect(provider.ThumbprintList).toEqual([thumbprint]);
    expect(provider.Tags).toEqual([{ Key: 'irsa-issuer/cluster', Value: 'prod' }]);
  });

  it("the publisher role trusts exactly the job's service account, through that provider", async () => {
    const role = await readPublisherRole(iam, 'irsa-issuer-prod');
    const name = issuer.slice('https://'.length);
    expect(role.trust.Statement).toEqual([
      {
        Sid: 'IrsaIssuerJob',
        Effect: 'Allow',
        Principal: { Federated: outputs.oidc_provider_arn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${name}:sub`]: 'system:serviceaccount:irsa-issuer:irsa-issuer',
            [`${name}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ]);
  });

  it('the publisher role may do exactly what terraform/publisher-actions.json lists, on exactly its resources', async () => {
    const role = await readPublisherRole(iam, 'irsa-issuer-prod');
    expect(Object.keys(role.inline)).toEqual(['irsa-issuer-publisher']);
    expect(role.attached).toEqual([]);
    const policy = role.inline['irsa-issuer-publisher'];
    if (policy === undefined) throw new Error('no inline policy');
    const expected = publisherGrants(await publisherActions(), {
      bucketArn: `arn:aws:s3:::${bucket}`,
      documentKeys: publisherKeys,
      providerArn: outputs.oidc_provider_arn,
    });
    expect(grants(policy)).toEqual(expected);
    // Neither creating providers nor touching client IDs or tags: those stay with whoever applies Terraform.
    expect(grants(policy).flatMap((grant) => grant.actions)).not.toContain('iam:CreateOpenIDConnectProvider');
  });

  it('the bucket lets anyone read the two documents and nothing else, ACLs off, versioned', async () => {
    const { Policy } = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    expect(grants(parsePolicy(Policy))).toEqual(
      grants({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: 's3:GetObject',
            Resource: documentKeys.map((key) => `arn:aws:s3:::${bucket}/${key}`),
          },
        ],
      }),
    );
    const { PublicAccessBlockConfiguration } = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    expect(PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
    const { OwnershipControls } = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }));
    expect(OwnershipControls?.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
  });

  it('the in-cluster job publishes, and verify passes against what Terraform built, STS exchange included', async () => {
    // The cluster, configured with the flags Terraform printed.
    const [newIssuer, oldIssuer] = flagValues(outputs.apiserver_flags, '--service-account-issuer');
    expect(oldIssuer).toBe(kubeadmIssuer);
    if (newIssuer === undefined) throw new Error('apiserver_flags has no --service-account-issuer');
    stand = await startApiServer({ issuer: newIssuer });
    const cluster = ['--kubeconfig', stand.kubeconfigPath, '--context', 'reader'];
    const sync = await irsaIssuer(
      ['sync', '--issuer', outputs.issuer_url, '--target', outputs.target, '--s3-endpoint', moto.endpoint, ...cluster],
      motoEnv(moto),
    );
    expect(sync.stderr).not.toMatch(/irsa-issuer:/);
    expect(sync.code).toBe(0);
    const verify = await irsaIssuer(
      [
        'verify',
        '--issuer',
        outputs.issuer_url,
        ...cluster,
        '--ca-file',
        front.chain.root.certPath,
        '--service-account',
        'irsa-issuer/irsa-issuer',
        '--role-arn',
        outputs.publisher_role_arn,
      ],
      motoEnv(moto),
    );
    expect(verify.stdout).toMatch(/Verified: all 12 checks run passed/);
    expect(verify.stdout).toContain('assumed arn:aws:sts::123456789012:assumed-role/irsa-issuer-prod/');
    expect(verify.code).toBe(0);
  });

  it('a stranger can GET the two documents the job published, and nothing else in the bucket', async () => {
    for (const key of documentKeys) expect((await anonymousGet(moto, bucket, key)).status).toBe(200);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/notes.json`, Body: '{}' }));
    expect((await anonymousGet(moto, bucket, `${prefix}/notes.json`)).status).toBe(403);
  });

  it("a second plan shows no changes, the job's objects and all", async () => {
    const plan = await workspace.terraform(['plan', '-detailed-exitcode', '-input=false', '-no-color'], [0, 2]);
    expect(plan.stdout).toMatch(/No changes/);
    expect(plan.code).toBe(0);
  });

  it('when the job puts a new thumbprint on the provider (a new certificate chain), Terraform keeps it', async () => {
    if (stand === undefined) throw new Error('no cluster');
    const rotated = 'a'.repeat(40);
    const sync = await irsaIssuer(
      [
        'sync',
        '--issuer',
        outputs.issuer_url,
        '--target',
        outputs.target,
        '--s3-endpoint',
        moto.endpoint,
        '--thumbprint',
        rotated,
        '--kubeconfig',
        stand.kubeconfigPath,
        '--context',
        'reader',
      ],
      motoEnv(moto),
    );
    expect(sync.code).toBe(0);
    // Ours first; the thumbprint Terraform seeded stays beside it (staged thumbprints are kept).
    expect((await readProvider(iam, outputs.oidc_provider_arn)).ThumbprintList).toEqual([rotated, thumbprint]);
    // Reverting it would lock every workload out the moment the old chain is gone.
    const plan = await workspace.terraform(['plan', '-detailed-exitcode', '-input=false', '-no-color'], [0, 2]);
    expect(plan.code).toBe(0);
  });

  it('destroy removes the provider before the bucket and leaves the account empty', async () => {
    const { stdout } = await workspace.terraform(['destroy', '-auto-approve', '-input=false', '-no-color']);
    expect(stdout).toMatch(/Destroy complete! Resources: 8 destroyed/);
    const providerGone = stdout.indexOf('aws_iam_openid_connect_provider.this[0]: Destruction complete');
    const bucketGoing = stdout.indexOf('aws_s3_bucket.this[0]: Destroying');
    expect(providerGone).toBeGreaterThan(-1);
    expect(providerGone).toBeLessThan(bucketGoing);
    expect(await accountContents(iam, s3)).toEqual({ buckets: [], providers: [], roles: [], policies: [] });
  });
});

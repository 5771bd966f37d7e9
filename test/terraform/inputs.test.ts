/**
 * What the module makes of its inputs, seen in `terraform plan` of terraform/examples/complete
 * (nothing is applied): the issuer it derives when none is given, and the inputs it refuses before
 * anything is created, each with a message that says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../stand/moto.js';
import { grants, type PolicyDocument } from './account.js';
import { createWorkspace, terraformOrSkip, type Workspace } from './workspace.js';

const setup = await terraformOrSkip();

/** The parts of `terraform show -json PLAN` read here. */
interface ShownPlan {
  readonly planned_values: { readonly outputs: Record<string, { readonly value?: unknown }> };
  readonly resource_changes: readonly { readonly address: string; readonly change: { readonly after: Record<string, unknown> } }[];
}

describe.skipIf(setup === undefined)('the module\'s inputs', { timeout: 120_000 }, () => {
  let moto: MotoServer;
  let workspace: Workspace;

  const plan = (variables: Readonly<Record<string, string>>, extra: readonly string[] = []) =>
    workspace.terraform(
      ['plan', '-input=false', '-no-color', ...Object.entries(variables).map(([name, value]) => `-var=${name}=${value}`), ...extra],
      [0, 1],
    );

  beforeAll(async () => {
    if (setup === undefined) return;
    moto = await startMoto();
    workspace = await createWorkspace(setup, 'complete', moto);
  }, 120_000);

  afterAll(async () => {
    await workspace.remove();
    await moto.stop();
  });

  it('without issuer_url, the issuer is the bucket\'s S3 URL in the provider\'s region, and anyone may read only its two documents', async () => {
    const planned = await plan({ bucket_name: 'acme-oidc' }, ['-out=plan.bin']);
    expect(planned.code).toBe(0);
    const { stdout } = await workspace.terraform(['show', '-json', 'plan.bin']);
    const shown = JSON.parse(stdout) as ShownPlan;
    const outputs = shown.planned_values.outputs;
    const issuer = 'https://acme-oidc.s3.eu-west-1.amazonaws.com/clusters/prod';
    expect(outputs.issuer_url?.value).toBe(issuer);
    expect(outputs.target?.value).toBe('s3://acme-oidc/clusters/prod');
    expect(outputs.apiserver_flags?.value).toEqual([
      `--service-account-issuer=${issuer}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-jwks-uri=${issuer}/openid/v1/jwks`,
    ]);
    const bucketPolicy = shown.resource_changes.find((change) => change.address === 'module.irsa_issuer.aws_s3_bucket_policy.this[0]');
    expect(grants(JSON.parse(String(bucketPolicy?.change.after.policy)) as PolicyDocument)).toEqual(grants({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: ['arn:aws:s3:::acme-oidc/clusters/prod/.well-known/openid-configuration', 'arn:aws:s3:::acme-oidc/clusters/prod/openid/v1/jwks'],
      }],
    }));
  });

  it('refuses, in one plan, a dotted bucket behind S3\'s one-label certificate, a malformed thumbprint and prefix, and a role name IAM cannot take', async () => {
    const refused = await plan({
      bucket_name: 'acme.oidc',
      thumbprint_list: `["${'AB'.repeat(20)}"]`,
      prefix: '/clusters/prod',
      cluster_name: 'c'.repeat(53),
    });
    expect(refused.code).toBe(1);
    const message = refused.stderr.replace(/\s+/g, ' ');
    expect(message).toContain('bucket_name contains dots, so the default issuer https://BUCKET.s3.REGION.amazonaws.com fails TLS');
    expect(message).toContain('thumbprint_list entries must be 40 lower-case hex digits');
    expect(message).toContain('prefix must be slash-separated segments');
    expect(message).toContain('cluster_name must be 1 to 52 characters');
  });

  it.each([
    ['http://oidc.example.com/prod', 'issuer_url must start with https://'],
    ['https://oidc.example.com/prod/', 'issuer_url must not end with a slash'],
    ['https://oidc.example.com/prod?cluster=a', 'issuer_url must not carry a query'],
    ['https://Oidc.Example.com/prod', 'issuer_url must be canonical, as STS compares it byte for byte'],
    ['https://oidc.example.com:8443/prod', 'issuer_url must not carry a port'],
  ])('refuses the issuer %s before creating anything', async (issuer, reason) => {
    const refused = await plan({ bucket_name: 'acme-oidc', issuer_url: issuer });
    expect(refused.code).toBe(1);
    expect(refused.stderr.replace(/\s+/g, ' ')).toContain(reason);
  });
});

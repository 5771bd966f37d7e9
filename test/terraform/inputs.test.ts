/**
 * What the module makes of its inputs, seen in `terraform plan` (nothing is applied): the issuer it
 * derives when none is given, what it leaves alone on an existing bucket and provider, CloudFront's
 * private bucket, and the inputs it refuses before anything is created, each with a message that
 * says why. Each root below calls the module several times, so one plan covers many cases.
 */
import { CreateOpenIDConnectProviderCommand } from '@aws-sdk/client-iam';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoIamClient } from '../stand/iam.js';
import { startMoto, type MotoServer } from '../stand/moto.js';
import { createBucket, motoS3Client } from '../stand/s3.js';
import { grants, parsePolicy, type PolicyDocument } from './account.js';
import { createWorkspace, terraformOrSkip, type TerraformSetup } from './workspace.js';

const setup = await terraformOrSkip();

/** The parts of `terraform show -json PLAN` read here. */
interface ShownPlan {
  readonly planned_values: { readonly outputs: Record<string, { readonly value?: unknown }> };
  readonly resource_changes: readonly {
    readonly address: string;
    readonly change: { readonly after: Record<string, unknown> };
  }[];
}

/** Module outputs the root re-exports as NAME_OUTPUT (a plan shows only root outputs, and only known ones). */
const reexported = ['issuer_url', 'target', 'apiserver_flags'];

/** A root module: the provider block moto_override.tf amends, and one module call per case. */
function root(calls: Readonly<Record<string, Readonly<Record<string, string>>>>): string {
  const modules = Object.entries(calls).map(([name, inputs]) => {
    const lines = Object.entries({ source: '"../.."', cluster_name: '"prod"', ...inputs }).map(
      ([input, value]) => `  ${input} = ${value}`,
    );
    const outputs = reexported.map((output) => `output "${name}_${output}" {\n  value = module.${name}.${output}\n}\n`);
    return [`module "${name}" {\n${lines.join('\n')}\n}\n`, ...outputs].join('\n');
  });
  return `provider "aws" {\n  region = "eu-west-1"\n}\n\n${modules.join('\n')}`;
}

const existingIssuer = 'https://oidc.example.com/clusters/prod';

const refusedIssuers: readonly (readonly [string, string])[] = [
  ['http://oidc.example.com/prod', 'issuer_url must start with https://'],
  ['https://oidc.example.com/prod/', 'issuer_url must not end with a slash'],
  ['https://oidc.example.com/prod?cluster=a', 'issuer_url must not carry a query'],
  ['https://oidc.example.com/prod#a', 'issuer_url must not carry a fragment'],
  ['https://admin@oidc.example.com/prod', 'issuer_url must not carry user info'],
  ['https://Oidc.Example.com/prod', 'issuer_url must be canonical, as STS compares it byte for byte'],
  ['https://oidc.example.com/a/../prod', 'issuer_url must be canonical, as STS compares it byte for byte'],
  ['https://oidc.example.com:8443/prod', 'issuer_url must not carry a port'],
  [`https://oidc.example.com/${'p'.repeat(240)}`, 'issuer_url must be at most 255 characters'],
];

describe.skipIf(setup === undefined)("the module's inputs", { timeout: 120_000 }, () => {
  let terraform: TerraformSetup;
  let moto: MotoServer;
  let planned: ShownPlan;

  beforeAll(async () => {
    if (setup === undefined) return;
    terraform = setup;
    moto = await startMoto();
  });

  afterAll(async () => {
    await moto.stop();
  });

  describe('planned', () => {
    let existingProviderArn: string | undefined;

    beforeAll(async () => {
      const s3 = motoS3Client(moto);
      const iam = await motoIamClient(moto);
      try {
        await createBucket(s3, 'acme-existing');
        ({ OpenIDConnectProviderArn: existingProviderArn } = await iam.send(
          new CreateOpenIDConnectProviderCommand({ Url: existingIssuer, ClientIDList: ['sts.amazonaws.com'] }),
        ));
      } finally {
        s3.destroy();
        iam.destroy();
      }
      const workspace = await createWorkspace(terraform, 'planned', moto, {
        'main.tf': root({
          s3: { bucket_name: '"acme-oidc"', prefix: '"clusters/prod"' },
          existing: {
            bucket_name: '"acme-existing"',
            prefix: '"clusters/prod"',
            issuer_url: `"${existingIssuer}"`,
            create_bucket: 'false',
            create_oidc_provider: 'false',
          },
          // A dotted bucket is fine here: CloudFront, not S3's one-label wildcard certificate, serves the issuer.
          cloudfront: { bucket_name: '"acme.oidc"', prefix: '"clusters/prod"', cloudfront: '{ enabled = true }' },
        }),
      });
      try {
        await workspace.terraform(['plan', '-input=false', '-no-color', '-out=plan.bin']);
        planned = JSON.parse((await workspace.terraform(['show', '-json', 'plan.bin'])).stdout) as ShownPlan;
      } finally {
        await workspace.remove();
      }
    }, 120_000);

    const changes = (module: string) =>
      planned.resource_changes.filter((change) => change.address.startsWith(`module.${module}.`));
    const after = (module: string, resource: string) =>
      changes(module).find((change) => change.address === `module.${module}.${resource}`)?.change.after;
    const outputs = (module: string) =>
      Object.fromEntries(
        reexported.map((output) => [output, planned.planned_values.outputs[`${module}_${output}`]?.value]),
      );

    it("without issuer_url, the issuer is the bucket's S3 URL in the provider's region, and anyone may read only its two documents", () => {
      const issuer = 'https://acme-oidc.s3.eu-west-1.amazonaws.com/clusters/prod';
      expect(outputs('s3')).toMatchObject({
        issuer_url: issuer,
        target: 's3://acme-oidc/clusters/prod',
        apiserver_flags: [`--service-account-issuer=${issuer}`, `--service-account-jwks-uri=${issuer}/openid/v1/jwks`],
      });
      expect(after('s3', 'aws_iam_openid_connect_provider.this[0]')).toMatchObject({
        url: issuer,
        client_id_list: ['sts.amazonaws.com'],
      });
      expect(grants(JSON.parse(String(after('s3', 'aws_s3_bucket_policy.this[0]')?.policy)) as PolicyDocument)).toEqual(
        grants({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: '*',
              Action: 's3:GetObject',
              Resource: [
                'arn:aws:s3:::acme-oidc/clusters/prod/.well-known/openid-configuration',
                'arn:aws:s3:::acme-oidc/clusters/prod/openid/v1/jwks',
              ],
            },
          ],
        }),
      );
    });

    it('with an existing bucket and provider, adds only the bucket policy and the role, which trusts that provider', () => {
      // Block Public Access, ownership and versioning of a bucket it did not create are its owner's.
      expect(
        changes('existing')
          .map((change) => change.address)
          .sort(),
      ).toEqual([
        'module.existing.aws_iam_role.publisher[0]',
        'module.existing.aws_iam_role_policy.publisher[0]',
        'module.existing.aws_s3_bucket_policy.this[0]',
      ]);
      const trust = parsePolicy(String(after('existing', 'aws_iam_role.publisher[0]')?.assume_role_policy));
      expect(existingProviderArn).toBeDefined();
      expect(trust.Statement[0]?.Principal).toEqual({ Federated: existingProviderArn });
    });

    it('with cloudfront, keeps the bucket fully private behind a distribution with Origin Access Control', () => {
      expect(after('cloudfront', 'aws_s3_bucket_public_access_block.this[0]')).toMatchObject({
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
      });
      expect(after('cloudfront', 'aws_cloudfront_origin_access_control.this[0]')).toMatchObject({
        origin_access_control_origin_type: 's3',
        signing_behavior: 'always',
      });
      expect(after('cloudfront', 'aws_cloudfront_distribution.this[0]')).toMatchObject({
        default_cache_behavior: [
          expect.objectContaining({ viewer_protocol_policy: 'https-only', allowed_methods: ['GET', 'HEAD'] }),
        ],
      });
    });
  });

  it('refuses malformed inputs before creating anything, each with its reason', async () => {
    const calls: Record<string, Record<string, string>> = {
      other_inputs: {
        bucket_name: '"acme-oidc"',
        thumbprint_list: `["${'AB'.repeat(20)}"]`,
        prefix: '"/clusters/prod"',
        cluster_name: `"${'c'.repeat(53)}"`,
      },
    };
    for (const [index, [issuer]] of refusedIssuers.entries())
      calls[`issuer_${index}`] = { bucket_name: '"acme-oidc"', issuer_url: `"${issuer}"` };
    const workspace = await createWorkspace(terraform, 'refused', moto, { 'main.tf': root(calls) });
    try {
      const refused = await workspace.terraform(['plan', '-input=false', '-no-color'], [1]);
      // One diagnostic per refusal; Terraform wraps their text, so compare each as one line.
      const diagnostics = refused.stderr.split(/^Error: /m).map((diagnostic) => diagnostic.replace(/\s+/g, ' '));
      const reasonsFor = (call: string) =>
        diagnostics.filter((diagnostic) => diagnostic.includes(`in module "${call}"`));
      for (const [index, [issuer, reason]] of refusedIssuers.entries()) {
        expect(reasonsFor(`issuer_${index}`).join('\n'), issuer).toContain(reason);
      }
      const others = reasonsFor('other_inputs').join('\n');
      expect(others).toContain('thumbprint_list entries must be 40 lower-case hex digits');
      expect(others).toContain('prefix must be slash-separated segments');
      expect(others).toContain('cluster_name must be 1 to 52 characters');

      // Terraform checks a rule that reads other variables only once every variable passed its own,
      // so the dotted bucket gets a plan of its own (same module call, so no new init).
      await writeFile(join(workspace.dir, 'main.tf'), root({ other_inputs: { bucket_name: '"acme.oidc"' } }));
      const dotted = await workspace.terraform(['plan', '-input=false', '-no-color'], [1]);
      expect(dotted.stderr.replace(/\s+/g, ' ')).toContain(
        'bucket_name contains dots, so the default issuer https://BUCKET.s3.REGION.amazonaws.com fails TLS',
      );
    } finally {
      await workspace.remove();
    }
  });
});

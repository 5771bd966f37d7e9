/**
 * terraform/modules/registrar, applied against moto: the role irsa-issuer assumes in another account.
 * Its trust and permissions must be exactly the documents irsa-issuer builds for the same role
 * (src/accounts/registrar.ts, held to golden files in test/accounts/registrar.test.ts), so the
 * Terraform user, `bootstrap` and the docs all mean one role. moto checks neither (design.md).
 */
import { GetRoleCommand, GetRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrarRole } from '../../src/bootstrap/index.js';
import { parseIssuer } from '../../src/issuer.js';
import { motoIamClient } from '../stand/iam.js';
import { startMoto, type MotoServer } from '../stand/moto.js';
import { createWorkspace, terraformOrSkip, type Workspace } from './workspace.js';

const setup = await terraformOrSkip();
const issuer = parseIssuer('https://acme-oidc.s3.eu-west-1.amazonaws.com/clusters/prod');
const publisherRoleArn = 'arn:aws:iam::111122223333:role/irsa-issuer-prod';
/** moto's default account: where the any-key credentials of the Terraform workspace land. */
const account = '123456789012';

const rootModule = `
module "registrar" {
  source = "../../modules/registrar"

  publisher_role_arn = var.publisher_role_arn
  issuer_url         = var.issuer_url
  cluster_name       = var.cluster_name
  external_id        = var.external_id
}

variable "publisher_role_arn" { type = string }
variable "issuer_url" { type = string }
variable "cluster_name" { type = string }
variable "external_id" {
  type    = string
  default = null
}

output "role_arn" { value = module.registrar.role_arn }
output "account_role" { value = module.registrar.account_role }
output "oidc_provider_arn" { value = module.registrar.oidc_provider_arn }
`;

const decoded = (document: string | undefined): unknown => JSON.parse(decodeURIComponent(document ?? ''));

describe.skipIf(setup === undefined)('terraform/modules/registrar against moto', { timeout: 180_000 }, () => {
  let moto: MotoServer;
  let iam: IAMClient;
  let workspace: Workspace;

  beforeAll(async () => {
    if (setup === undefined) return;
    moto = await startMoto();
    iam = await motoIamClient(moto);
    workspace = await createWorkspace(setup, 'registrar-test', moto, { 'main.tf': rootModule });
  }, 120_000);

  afterAll(async () => {
    iam.destroy();
    await moto.stop();
    await workspace.remove();
  });

  it('creates the role with exactly the trust, permissions and tags irsa-issuer builds for it', async () => {
    await workspace.setVariables({
      publisher_role_arn: publisherRoleArn,
      issuer_url: issuer.url,
      cluster_name: 'prod',
      external_id: 'prod-cluster',
    });
    const { stdout } = await workspace.terraform(['apply', '-auto-approve', '-input=false', '-no-color']);
    expect(stdout).toMatch(/Apply complete! Resources: 2 added, 0 changed, 0 destroyed/);
    const expected = registrarRole({
      issuer,
      clusterName: 'prod',
      account,
      partition: 'aws',
      publisherRoleArn,
      externalId: 'prod-cluster',
    });
    expect(await workspace.outputs()).toEqual({
      role_arn: expected.roleArn,
      account_role: expected.accountRole,
      oidc_provider_arn: `arn:aws:iam::${account}:oidc-provider/${issuer.providerName}`,
    });
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: expected.roleName }));
    expect(decoded(Role?.AssumeRolePolicyDocument)).toEqual(expected.trustPolicy);
    expect(Object.fromEntries((Role?.Tags ?? []).map((tag) => [tag.Key, tag.Value]))).toEqual(expected.tags);
    const inline = await iam.send(
      new GetRolePolicyCommand({ RoleName: expected.roleName, PolicyName: expected.policyName }),
    );
    expect(decoded(inline.PolicyDocument)).toEqual(expected.permissions);
  });
});

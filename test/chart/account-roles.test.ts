/**
 * `aws.accountRoles`: the chart's spelling of `--account-role`, one argument per role in either
 * mode, in the pod's arguments (what the CLI then reads is covered by test/accounts/).
 */
import { describe, expect, it } from 'vitest';
import { container, render, template } from './helm.js';

const base = {
  image: { repository: 'registry.example.com/irsa-issuer' },
  issuer: 'https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod',
  aws: { roleArn: 'arn:aws:iam::111122223333:role/irsa-issuer-prod' },
};
const teamA = 'arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod';
const data = 'arn:aws:iam::333333333333:role/irsa-issuer-registrar-prod#prod-cluster';

describe('aws.accountRoles', () => {
  it.each(['cronjob', 'daemon'])('in %s mode, passes each role as --account-role', async (mode) => {
    const objects = await render({ ...base, mode, aws: { ...base.aws, accountRoles: [teamA, data] } });
    const args = container(objects).args ?? [];
    expect(args.filter((arg) => arg.startsWith('--account-role'))).toEqual([
      `--account-role=${teamA}`,
      `--account-role=${data}`,
    ]);
  });

  it('renders no --account-role by default', async () => {
    const args = container(await render(base)).args ?? [];
    expect(args.some((arg) => arg.startsWith('--account-role'))).toBe(false);
  });

  it.each([
    ['not an ARN', 'team-a'],
    ['a user, not a role', 'arn:aws:iam::222222222222:user/x'],
  ])('the schema rejects %s', async (_what, role) => {
    const run = await template({ ...base, aws: { ...base.aws, accountRoles: [role] } });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/accountRoles/);
  });
});

/**
 * `bootstrap --account-role ... --create-registrar-roles`: the registrar role is made in each
 * account with the caller's credentials there (an admin role assumed through moto's STS, as the CLI
 * does), the publisher role may assume each, and the helm line hands them to the chart. moto never
 * checks trust on AssumeRole (design.md, "Permissions"), so the trust documents are checked as written.
 */
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assumedAccount, createStsClient, parseAccountRole, parseAccountRoles } from '../../src/accounts/index.js';
import { iamInAccount } from '../stand/accounts.js';
import { dummyCredentials } from '../stand/iam.js';
import { resetMoto } from '../stand/moto.js';
import { clientsFor, runBootstrap, startWorld, stopWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  await resetMoto(world.moto);
});
afterAll(async () => {
  await stopWorld(world);
});

const registrarB = 'arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod';
const registrarC = 'arn:aws:iam::333333333333:role/irsa-issuer-registrar-prod';
const externalId = 'prod-cluster-7f3a';

function document(encoded: string | undefined): { Statement: Record<string, unknown>[] } {
  return JSON.parse(decodeURIComponent(encoded ?? '')) as { Statement: Record<string, unknown>[] };
}

it('creates the registrar role in every account, lets the publisher assume them, and a second run writes nothing', async () => {
  const options = { region: 'us-east-1', endpoint: world.moto.endpoint };
  const sts = await createStsClient({ ...options, credentials: dummyCredentials });
  const iamIn = (account: string) =>
    assumedAccount(
      parseAccountRole(`arn:aws:iam::${account}:role/OrganizationAccountAccessRole`),
      sts,
      options,
    ).connect();
  const accountRoles = parseAccountRoles([registrarB, `${registrarC}#${externalId}`], 'aws');
  const clients = await clientsFor(world);
  const run = () => runBootstrap(world, clients, { accountRoles, createRegistrarRoles: true }, { iamIn });

  const report = await run();
  expect(report.registrars.map((part) => [part.account, part.roleArn, part.status])).toEqual([
    ['222222222222', registrarB, 'created'],
    ['333333333333', registrarC, 'created'],
  ]);
  for (const [account, arn] of [
    ['222222222222', registrarB],
    ['333333333333', registrarC],
  ] as const) {
    const { Role } = await iamInAccount(world.moto, account).send(
      new GetRoleCommand({ RoleName: 'irsa-issuer-registrar-prod' }),
    );
    expect(Role?.Arn).toBe(arn);
    const [trust] = document(Role?.AssumeRolePolicyDocument).Statement;
    expect(trust?.Principal).toEqual({ AWS: report.role.arn });
    expect(trust?.Condition).toEqual(
      account === '333333333333' ? { StringEquals: { 'sts:ExternalId': externalId } } : undefined,
    );
  }
  const publisher = await clients.iam.send(
    new GetRolePolicyCommand({ RoleName: report.role.name, PolicyName: 'irsa-issuer-publisher' }),
  );
  expect(document(publisher.PolicyDocument).Statement).toContainEqual({
    Sid: 'EnterRegistrarRoles',
    Effect: 'Allow',
    Action: 'sts:AssumeRole',
    Resource: [registrarB, registrarC],
  });
  expect(report.next.helm).toContain(`'aws.accountRoles={${registrarB},${registrarC}#EXTERNAL_ID}'`);
  // The external ID guards the role owner against a confused deputy: it is never printed.
  expect(JSON.stringify(report)).not.toContain(externalId);

  const again = await run();
  expect(again.registrars.map((part) => part.status)).toEqual(['unchanged', 'unchanged']);
  expect(again.changed).toBe(false);
  sts.destroy();
});

/**
 * The real `bootstrap`, then the real `teardown` planned and applied: the account (buckets, their
 * policies, tags, versions, Block Public Access, roles, providers) is listed before and after and must
 * be the same, with another team's bucket statement, roles and providers in place throughout. The
 * library is called rather than the CLI because this world's issuer is a TLS front on loopback, which
 * the CLI cannot derive from a bucket name.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyTeardown, defaultRoleName, planTeardown } from '../../src/bootstrap/index.js';
import { parseIssuer } from '../../src/issuer.js';
import { resetMoto } from '../stand/moto.js';
import { accountState, createPlainBucket, otherStatement, putPolicy, seedBystanders } from './teardown-seed.js';
import { bucket, clientsFor, prefix, runBootstrap, startWorld, stopWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await stopWorld(world);
});

for (const existing of [false, true]) {
  const story = existing
    ? 'into a bucket that already held another statement, then teardown, leaves the bucket as it was'
    : 'into an empty account, then teardown --delete-bucket, leaves the account as it was';
  it(`bootstrap ${story}`, async () => {
    await resetMoto(world.moto);
    const clients = await clientsFor(world);
    const aws = { s3: clients.s3, iam: clients.iam };
    await seedBystanders(aws);
    if (existing) {
      await createPlainBucket(aws, bucket);
      await putPolicy(aws, bucket, [{ ...otherStatement, Resource: `arn:aws:s3:::${bucket}/logs/*` }]);
    }
    const before = await accountState(aws);

    await runBootstrap(world, clients);
    expect(await accountState(aws)).not.toEqual(before);

    const teardownClients = { s3: clients.s3, iam: clients.iam, logger: pino({ level: 'silent' }) };
    const plan = await planTeardown(
      {
        issuer: parseIssuer(world.issuerUrl),
        bucket,
        prefix,
        roleName: defaultRoleName('prod'),
        force: false,
        deleteBucket: !existing,
      },
      teardownClients,
    );
    expect(plan.report.refusals).toEqual([]);
    const { error } = await applyTeardown(plan, teardownClients);
    expect(error).toBeUndefined();
    expect(await accountState(aws)).toEqual(before);
  });
}

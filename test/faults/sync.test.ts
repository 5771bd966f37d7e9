/**
 * `irsa-issuer sync`, the built bundle as a process, under faults: the tables of S3, IAM and API
 * server failures, a kill -9 between the JWKS and the discovery write, and two syncs at once. Every
 * case checks the exit code, the report, what stderr says, which writes landed, that nothing secret
 * was printed, the invariant STS depends on, and that the next clean run converges. The cases run
 * concurrently on a small pool of worlds: most of a case is waiting on backoff or a deadline.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { startBlackhole } from '../stand/blackhole.js';
import { createCertificateChain } from '../stand/certs.js';
import { checkPublished } from '../stand/invariant.js';
import { startTlsHost } from '../stand/tls-host.js';
import { apiServerCases } from './apiserver-cases.js';
import { runBundle, startBundle } from './bundle.js';
import {
  expectConvergence,
  expectFailureReport,
  expectNothingSecret,
  landedWrites,
  runCase,
  type FaultCase,
} from './case.js';
import { iamCases } from './iam-cases.js';
import { s3Cases } from './s3-cases.js';
import {
  bucket,
  issuer,
  prefix,
  region,
  startWorldPool,
  thumbprint,
  type FaultWorld,
  type WorldPool,
} from './world.js';

let worlds: WorldPool;
beforeAll(async () => {
  worlds = await startWorldPool(3);
}, 60_000);
afterAll(async () => {
  await worlds.stop();
});

const table = (cases: readonly FaultCase[]) => cases.map((faultCase) => [faultCase.name, faultCase] as const);
const caseTimeout = 120_000;

/** Holds the discovery write, kills the process with SIGKILL while it waits, and returns what it printed. */
async function killBetweenTheWrites(world: FaultWorld) {
  world.aws.inject({
    name: 'discovery held',
    method: 'PUT',
    path: /\/\.well-known\/openid-configuration$/,
    action: { kind: 'delay', ms: 60_000 },
  });
  const running = world.startSync();
  await world.aws.waitForHit('discovery held');
  expect(landedWrites(world)).toEqual(['jwks']);
  running.child.kill('SIGKILL');
  const killed = await running.done;
  expect(killed.signal).toBe('SIGKILL');
  expect(landedWrites(world)).toEqual(['jwks']);
  return killed;
}

/** The command line of a second cluster's sync onto the same bucket and prefix as `world`'s. */
async function syncArgsFor(other: ApiServerStand, otherIssuer: string, world: FaultWorld): Promise<string[]> {
  const token = other.tokens.reader?.token ?? '';
  const kubeconfig = await other.writeKubeconfig([{ name: 'other', server: other.url, caPem: other.caPem, token }]);
  const target = ['--target', `s3://${bucket}/${prefix}`, '--region', region, '--s3-endpoint', world.aws.url];
  const cluster = ['--kubeconfig', kubeconfig, '--context', 'other'];
  return ['sync', '--issuer', otherIssuer, ...target, ...cluster, '--thumbprint', thumbprint, '--output', 'json'];
}

describe.concurrent('sync under faults', () => {
  describe('the API server', () => {
    it.each(table(apiServerCases))(
      '%s',
      async (_, faultCase) => {
        await worlds.use((world) => runCase(world, faultCase));
      },
      caseTimeout,
    );
  });
  describe('IAM', () => {
    it.each(table(iamCases))(
      '%s',
      async (_, faultCase) => {
        await worlds.use((world) => runCase(world, faultCase));
      },
      caseTimeout,
    );
  });

  describe('kill -9 between the JWKS write and the discovery write', () => {
    it(
      'on a first publish: the JWKS alone is left, nothing is discoverable, the next run publishes',
      async () => {
        await worlds.use(async (world) => {
          await world.reset();
          await killBetweenTheWrites(world);
          expect(await world.invariant()).toEqual({ published: false, violations: [] });
          await expectConvergence(world);
        });
      },
      caseTimeout,
    );

    it(
      'during a key rotation: the old discovery document names a JWKS that already holds the new key',
      async () => {
        await worlds.use(async (world) => {
          await world.reset();
          const [rsa, ec] = world.stand.keys;
          if (rsa === undefined || ec === undefined) throw new Error('the stand starts with an RSA and an EC key');
          // Before: RS256 only. The EC key adds ES256 to the discovery document, so both objects change.
          world.stand.setKeys([rsa]);
          expect((await world.sync()).code).toBe(0);
          world.stand.setKeys([rsa, ec]);
          world.aws.reset();
          await killBetweenTheWrites(world);
          expect(await world.invariant()).toEqual({ published: true, violations: [] });
          const converged = await expectConvergence(world);
          expect(converged.stdout).toMatch(
            /update-content s3:\/\/acme-oidc\/clusters\/prod\/\.well-known\/openid-configuration/,
          );
        });
      },
      caseTimeout,
    );
  });

  describe('two syncs at once for the same issuer', () => {
    it(
      'both read before either writes, and both create the provider: one writes, the other sees it done; both exit 0',
      async () => {
        await worlds.use(async (world) => {
          await world.reset();
          // Gates line the two processes up: both have read "absent" before either JWKS write goes on,
          // and both have planned a create before either CreateOpenIDConnectProvider does.
          world.aws.inject({
            name: 'jwks writes',
            method: 'PUT',
            path: /\/openid\/v1\/jwks$/,
            action: { kind: 'hold', gate: 'jwks' },
          });
          world.aws.inject({
            name: 'creates',
            awsAction: 'CreateOpenIDConnectProvider',
            action: { kind: 'hold', gate: 'create' },
          });
          const first = world.startSync();
          const second = world.startSync();
          await world.aws.waitForHit('jwks writes', 2);
          world.aws.release('jwks');
          await world.aws.waitForHit('creates', 2);
          world.aws.release('create');
          const runs = await Promise.all([first.done, second.done]);
          for (const run of runs) {
            expect([run.hung, run.code], run.stderr).toEqual([false, 0]);
            expectNothingSecret(run, world);
          }
          // Each object was written once; the second writer's conditional writes lost and found our bytes.
          expect(landedWrites(world)).toEqual(['jwks', 'discovery']);
          const creates = world.aws.requests.filter((request) => request.awsAction === 'CreateOpenIDConnectProvider');
          expect(creates.map((request) => request.upstreamStatus).sort()).toEqual([200, 409]);
          // The loser of each object's race says so: one line per object, in whichever run lost it
          // (the JWKS's loser can win the discovery document when the winner is slower to get there).
          const changes = runs.flatMap((run) =>
            (JSON.parse(run.stdout) as { steps: { changes: string[] }[] }).steps.flatMap((step) => step.changes),
          );
          expect(changes.filter((line) => /already written by another publisher/.test(line))).toHaveLength(2);
          expect(await world.invariant()).toEqual({ published: true, violations: [] });
          const converged = await expectConvergence(world);
          expect((JSON.parse(converged.stdout) as { changed: boolean }).changed).toBe(false);
        });
      },
      caseTimeout,
    );
  });

  describe('two syncs at once for two issuers on one prefix (two clusters, one copied config)', () => {
    it(
      'both race to create the JWKS: one publishes, the other is refused with exit 3 having written nothing',
      async () => {
        const otherIssuer = 'https://oidc.example.com/clusters/prod';
        const other = await startApiServer({ issuer: otherIssuer });
        try {
          await worlds.use(async (world) => {
            await world.reset();
            const otherArgs = await syncArgsFor(other, otherIssuer, world);
            const clusters = [
              { issuer, keys: world.stand.keys, start: () => world.startSync() },
              { issuer: otherIssuer, keys: other.keys, start: () => startBundle(otherArgs, world.env) },
            ];
            world.aws.inject({
              name: 'jwks writes',
              method: 'PUT',
              path: /\/openid\/v1\/jwks$/,
              action: { kind: 'hold', gate: 'jwks' },
            });
            const running = clusters.map((cluster) => cluster.start());
            await world.aws.waitForHit('jwks writes', 2);
            world.aws.release('jwks');
            const runs = await Promise.all(running.map((run) => run.done));
            for (const run of runs) {
              expect(run.hung).toBe(false);
              expectNothingSecret(run, world);
            }
            expect(runs.map((run) => run.code).sort()).toEqual([0, 3]);
            const winner = runs[0]?.code === 0 ? 0 : 1;
            const loser = runs[1 - winner];
            expect(loser?.stderr).toMatch(/shares no key with the cluster's.*Nothing was written/s);
            if (loser !== undefined) expectFailureReport(loser, undefined, []);
            expect(landedWrites(world)).toEqual(['jwks', 'discovery']);
            const won = clusters[winner];
            if (won === undefined) throw new Error('no winner');
            expect(await checkPublished(world.published, won)).toEqual({ published: true, violations: [] });

            // The next runs: the winner has nothing to do, the loser is refused again and changes nothing.
            world.aws.reset();
            const again = await Promise.all(clusters.map((cluster) => cluster.start().done));
            expect(again.map((run) => run.code)).toEqual(winner === 0 ? [0, 3] : [3, 0]);
            expect((JSON.parse(again[winner]?.stdout ?? '') as { changed: boolean }).changed).toBe(false);
            expect(landedWrites(world)).toEqual([]);
          });
        } finally {
          await other.stop();
          await rm(other.chain.directory, { recursive: true, force: true });
        }
      },
      caseTimeout,
    );
  });

  describe('two issuers with the same keys on one prefix, the second writing its discovery document in between', () => {
    it(
      'the first is refused with exit 3 that says what it had already written, not "nothing was written"',
      async () => {
        const otherIssuer = 'https://oidc.example.com/clusters/prod';
        await worlds.use(async (world) => {
          await world.reset();
          const other = await startApiServer({ issuer: otherIssuer, keys: world.stand.keys });
          try {
            const otherArgs = await syncArgsFor(other, otherIssuer, world);
            // Ours writes the JWKS, then waits at its discovery write while the other cluster publishes.
            const ours = new RegExp(issuer.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
            world.aws.inject({
              name: 'our discovery held',
              method: 'PUT',
              path: /\/\.well-known\/openid-configuration$/,
              body: ours,
              action: { kind: 'hold', gate: 'ours' },
            });
            const first = world.startSync();
            await world.aws.waitForHit('our discovery held');
            expect(landedWrites(world)).toEqual(['jwks']);
            const second = await runBundle(otherArgs, world.env);
            expect([second.code, second.stderr]).toEqual([0, '']);
            world.aws.release('ours');
            const run = await first.done;
            expect(run.code).toBe(3);
            expect(run.stderr).toMatch(/names issuer https:\/\/oidc\.example\.com\/clusters\/prod/);
            expect(run.stderr).toMatch(
              /This run had already written s3:\/\/acme-oidc\/clusters\/prod\/openid\/v1\/jwks/,
            );
            expect(run.stderr).not.toMatch(/Nothing was written/);
            expectFailureReport(run, 'publish', ['jwks']);
            expectNothingSecret(run, world);
          } finally {
            await other.stop();
            await rm(other.chain.directory, { recursive: true, force: true });
          }
        });
      },
      caseTimeout,
    );
  });

  describe('the jwks_uri host accepts TCP and never starts TLS', () => {
    it(
      'the thumbprint probe gives up at its 10 s deadline after publishing; once the host speaks TLS, the next run registers',
      async () => {
        const hole = await startBlackhole();
        const chain = await createCertificateChain();
        try {
          await worlds.use(async (world) => {
            await world.reset();
            // An issuer on the blackholed host; no --thumbprint, so sync probes it over TLS.
            const probedIssuer = `https://127.0.0.1:${String(hole.port)}/clusters/prod`;
            world.stand.setIssuer(probedIssuer);
            const args = [
              'sync',
              '--issuer',
              probedIssuer,
              '--target',
              `s3://${bucket}/${prefix}`,
              '--region',
              region,
              '--s3-endpoint',
              world.aws.url,
              '--kubeconfig',
              world.kubeconfig,
              '--context',
              'proxied',
              '--output',
              'json',
            ];
            const probed = await runBundle(args, world.env, 30_000);
            expect([probed.hung, probed.code], probed.stderr).toEqual([false, 1]);
            expect(probed.stderr).toMatch(
              new RegExp(
                `127\\.0\\.0\\.1:${String(hole.port)} accepted a TCP connection but did not complete a TLS handshake within 10000 ms`,
              ),
            );
            expectFailureReport(probed, 'thumbprint', ['jwks', 'discovery']);
            expectNothingSecret(probed, world);
            expect(landedWrites(world)).toEqual(['jwks', 'discovery']);
            const expected = { issuer: probedIssuer, keys: world.stand.keys };
            expect(await checkPublished(world.published, expected)).toEqual({ published: true, violations: [] });

            await hole.stop();
            // The same port now fronts the bucket over TLS, as CloudFront would.
            const host = await startTlsHost({
              port: hole.port,
              origin: `${world.moto.endpoint}/${bucket}`,
              certificate: chain.leaf,
              presentedChain: [chain.intermediate.certPem],
            });
            try {
              world.aws.reset();
              const registered = await runBundle(args, world.env);
              expect([registered.code, registered.stderr]).toEqual([0, '']);
              expect(landedWrites(world)).toEqual([]);
              expect(registered.stdout).toContain(chain.intermediate.sha1);
            } finally {
              await host.stop();
            }
          });
        } finally {
          await hole.stop();
          await rm(chain.directory, { recursive: true, force: true });
        }
      },
      caseTimeout,
    );
  });

  describe('S3', () => {
    it.each(table(s3Cases))(
      '%s',
      async (_, faultCase) => {
        await worlds.use((world) => runCase(world, faultCase));
      },
      caseTimeout,
    );
  });
});

/**
 * How accounts are worked on: each with its own deadline, a few at a time, and STS asked once per
 * session. The home account is moto's; an account that never answers, and a count of accounts in
 * flight, are Account values of the test's own, because one moto_server cannot make one account
 * silent while the others answer (a mock for what cannot run here).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { STSClient } from '@aws-sdk/client-sts';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  accountSession,
  createStsClient,
  homeAccount,
  parseAccountRole,
  type Account,
} from '../../src/accounts/index.js';
import { apiServerReader } from '../../src/cluster/api-server.js';
import { RunFailedError } from '../../src/errors.js';
import { FileStore } from '../../src/publish/file.js';
import { sync, type Registration } from '../../src/sync.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { dummyCredentials, motoIamClient } from '../stand/iam.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { syncOptions } from '../stand/sync-options.js';

const issuer = 'https://oidc.example.com/clusters/prod';
let moto: MotoServer;
let stand: ApiServerStand;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  stand = await startApiServer({ issuer });
  dir = await mkdtemp(join(tmpdir(), 'irsa-accounts-'));
});
afterAll(async () => {
  await stand.stop();
  await moto.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await resetMoto(moto);
});

async function registration(accounts: readonly Account[]): Promise<Registration> {
  const provider = await motoIamClient(moto);
  return {
    pinnedThumbprints: ['a'.repeat(40)],
    tags: {},
    pruneAudiences: false,
    pruneThumbprints: false,
    provider,
    probe: () => Promise.reject(new Error('pinned: never probed')),
    accounts,
  };
}

const run = async (accounts: readonly Account[], overrides: Parameters<typeof syncOptions>[1] = {}) =>
  sync(syncOptions(issuer, { register: await registration(accounts), stageTimeoutMs: 1500, ...overrides }), {
    cluster: apiServerReader({ kubeconfig: stand.kubeconfigPath, context: 'reader' }),
    store: new FileStore(join(dir, 'public')),
    logger: pino({ level: 'silent' }),
  });

describe('accounts are independent', () => {
  it('an account that never answers runs into its own deadline; the home account is done', async () => {
    const silent: Account = {
      label: '999999999999',
      roleArn: 'arn:aws:iam::999999999999:role/irsa-issuer-registrar-prod',
      connect: () => new Promise(() => undefined),
    };
    const failure = await run([homeAccount(await motoIamClient(moto)), silent]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RunFailedError);
    const { report } = failure as RunFailedError;
    const register = report.steps.filter((step) => step.stage === 'register');
    expect(register.map((step) => `${step.account ?? '-'}:${step.status}`)).toEqual([
      'home:changed',
      '999999999999:failed',
    ]);
    expect(register[1]?.summary).toBe(
      'The register stage in account 999999999999 did not finish within 1.5 s (--timeout), so the run stopped there. ' +
        'An endpoint it waits on accepts connections but does not answer; the lines above say what had been done.',
    );
    expect(report.failure?.message.split('\n')[0]).toBe(
      'The register stage failed in 1 of 2 accounts (999999999999); the others were done, as the report shows.',
    );
  });

  it('works on at most four accounts at once, and reports them in the order given', async () => {
    let inFlight = 0;
    let most = 0;
    const home = await motoIamClient(moto);
    const accounts = Array.from({ length: 7 }, (_, index): Account => {
      const id = String(index + 1).repeat(12);
      return {
        label: id,
        roleArn: `arn:aws:iam::${id}:role/irsa-issuer-registrar-prod`,
        async connect() {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 50 * (7 - index)));
          inFlight -= 1;
          return home;
        },
      };
    });
    const report = await run(accounts, { dryRun: true });
    expect(most).toBe(4);
    expect(report.steps.filter((step) => step.stage === 'register').map((step) => step.account)).toEqual(
      accounts.map((account) => account.label),
    );
  });
});

describe('the session in another account', () => {
  async function recordedSts(): Promise<{ sts: STSClient; inputs: Record<string, unknown>[] }> {
    const sts = await createStsClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: dummyCredentials });
    const inputs: Record<string, unknown>[] = [];
    sts.middlewareStack.add(
      (next) => (args) => {
        inputs.push(args.input as Record<string, unknown>);
        return next(args);
      },
      { step: 'initialize', name: 'recordInputs' },
    );
    return { sts, inputs };
  }

  it('assumes the role as irsa-issuer with the external ID, and lands in its account', async () => {
    const { sts, inputs } = await recordedSts();
    const role = parseAccountRole('arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod#prod-cluster');
    const credentials = await accountSession(role, sts).credentials();
    expect(inputs).toEqual([
      expect.objectContaining({
        RoleArn: 'arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod',
        RoleSessionName: 'irsa-issuer',
        ExternalId: 'prod-cluster',
      }),
    ]);
    expect(credentials.sessionToken).toBeTruthy();
  });

  it('asks STS again only when the credentials are within five minutes of expiring', async () => {
    const { sts, inputs } = await recordedSts();
    const role = parseAccountRole('arn:aws:iam::222222222222:role/irsa-issuer-registrar-prod');
    let now = Date.now();
    const session = accountSession(role, sts, () => now);
    const first = await session.credentials();
    await session.credentials();
    expect(inputs).toHaveLength(1);
    now = (first.expiration?.getTime() ?? now) - 4 * 60_000;
    await session.credentials();
    expect(inputs).toHaveLength(2);
  });
});

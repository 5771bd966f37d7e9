import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  GetOpenIDConnectProviderCommand,
  ListOpenIDConnectProviderTagsCommand,
  ListOpenIDConnectProvidersCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseIssuer, type Issuer } from '../../src/issuer.js';
import { IamError } from '../../src/errors.js';
import { createIamClient } from '../../src/iam/client.js';
import { providerIamReadActions } from '../../src/iam/failure.js';
import type { DesiredProvider } from '../../src/iam/provider.js';
import { readProvider } from '../../src/iam/provider.js';
import { previewProvider, reconcileProvider } from '../../src/iam/reconcile.js';
import { dummyCredentials, motoIamClient, recordCommands, writeCommands } from '../stand/iam.js';
import { resetMoto, setMotoAuthentication, startMoto, type MotoServer } from '../stand/moto.js';

const issuer = parseIssuer('https://oidc.example.com/clusters/prod');
const thumbA = 'a'.repeat(40);
const thumbB = 'b'.repeat(40);
const keep = { pruneAudiences: false };

function desired(overrides: Partial<DesiredProvider> = {}): DesiredProvider {
  return { issuer, clientIds: ['sts.amazonaws.com'], thumbprints: [thumbA], tags: { owner: 'platform' }, ...overrides };
}

async function describeInIam(client: IAMClient, arn: string) {
  const provider = await client.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
  const tags = await client.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn }));
  return {
    url: provider.Url,
    clientIds: provider.ClientIDList,
    thumbprints: provider.ThumbprintList,
    tags: Object.fromEntries((tags.Tags ?? []).map((tag): [string, string] => [tag.Key ?? '', tag.Value ?? ''])),
  };
}

async function createBehindOurBack(
  client: IAMClient,
  forIssuer: Issuer,
  thumbprints: string[],
  tags: Record<string, string> = {},
) {
  const created = await client.send(
    new CreateOpenIDConnectProviderCommand({
      Url: forIssuer.url,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: thumbprints,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return created.OpenIDConnectProviderArn ?? '';
}

describe('registering the IAM OIDC provider (against moto_server)', () => {
  let moto: MotoServer;
  let iam: IAMClient;

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });
  beforeEach(async () => {
    await resetMoto(moto);
    iam = await motoIamClient(moto);
  });

  it('creates the provider in an empty account', async () => {
    const result = await reconcileProvider(desired(), iam, keep);
    expect(result.applied).toBe(true);
    expect(result.arn).toBe('arn:aws:iam::123456789012:oidc-provider/oidc.example.com/clusters/prod');
    expect(await describeInIam(await motoIamClient(moto), result.arn)).toEqual({
      url: 'oidc.example.com/clusters/prod',
      clientIds: ['sts.amazonaws.com'],
      thumbprints: [thumbA],
      tags: { owner: 'platform' },
    });
  });

  it('a second reconcile makes no IAM write call', async () => {
    const first = await reconcileProvider(desired(), iam, keep);
    const watched = await motoIamClient(moto);
    const sent = recordCommands(watched);

    const second = await reconcileProvider(desired(), watched, keep);

    expect(second).toMatchObject({ arn: first.arn, applied: false });
    expect(second.plan.changes).toEqual([]);
    expect(sent.length).toBeGreaterThan(0);
    expect(writeCommands(sent)).toEqual([]);
  });

  it('a dry run reads and plans, and writes nothing', async () => {
    const watched = await motoIamClient(moto);
    const sent = recordCommands(watched);
    const plan = await previewProvider(desired(), watched, keep);
    expect(plan.changes.map((change) => change.kind)).toEqual(['create']);
    expect(writeCommands(sent)).toEqual([]);
    expect(sent.map((name) => name.replace(/Command$/, ''))).toEqual(['ListOpenIDConnectProviders']);
    expect(providerIamReadActions).toContain('ListOpenIDConnectProviders');
    expect(await readProvider(issuer, iam)).toBeUndefined();
  });

  it('applies a thumbprint change, visible through GetOpenIDConnectProvider', async () => {
    const { arn } = await reconcileProvider(desired(), iam, keep);
    const result = await reconcileProvider(desired({ thumbprints: [thumbB, thumbA] }), iam, keep);
    expect(result.plan.changes.map((change) => change.description)).toEqual([
      `thumbprints: [${thumbA}] → [${thumbB}, ${thumbA}]`,
    ]);
    const provider = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect(provider.ThumbprintList).toEqual([thumbB, thumbA]);
  });

  it('changes and adds tags, and leaves tags someone else set', async () => {
    const arn = await createBehindOurBack(iam, issuer, [thumbA], { owner: 'platform', 'cost-center': '42' });
    const result = await reconcileProvider(desired({ tags: { owner: 'sre', cluster: 'prod' } }), iam, keep);
    expect(result.plan.changes.map((change) => change.kind)).toEqual(['tag']);
    expect(result.plan.kept.tags).toEqual({ 'cost-center': '42' });
    expect((await describeInIam(iam, arn)).tags).toEqual({ owner: 'sre', cluster: 'prod', 'cost-center': '42' });
  });

  it('finds its provider by the exact ARN suffix: host/a is not host/ab', async () => {
    const a = parseIssuer('https://oidc.example.com/a');
    const ab = parseIssuer('https://oidc.example.com/ab');
    const abArn = await createBehindOurBack(iam, ab, [thumbB]);

    expect(await readProvider(a, iam)).toBeUndefined();

    const result = await reconcileProvider(desired({ issuer: a }), iam, keep);
    expect(result.plan.changes.map((change) => change.kind)).toEqual(['create']);
    expect(result.arn).toMatch(/:oidc-provider\/oidc\.example\.com\/a$/);
    expect(result.arn).not.toBe(abArn);

    expect((await readProvider(a, iam))?.thumbprints).toEqual([thumbA]);
    expect(await readProvider(ab, iam)).toMatchObject({
      arn: abArn,
      thumbprints: [thumbB],
      url: 'oidc.example.com/ab',
    });
    const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    expect(listed.OpenIDConnectProviderList).toHaveLength(2);
  });

  it('when another writer creates the provider between our read and our create, re-reads and reconciles', async () => {
    const racer = await motoIamClient(moto);
    const reconciler = await motoIamClient(moto);
    const sent = recordCommands(reconciler);
    let raced = false;
    reconciler.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'CreateOpenIDConnectProviderCommand' && !raced) {
          raced = true;
          await createBehindOurBack(racer, issuer, [thumbB], { owner: 'someone-else' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'createFirst' },
    );

    const result = await reconcileProvider(desired(), reconciler, keep);

    expect(raced).toBe(true);
    expect(result.plan.changes.map((change) => change.kind)).toEqual(['update-thumbprints', 'tag']);
    expect(writeCommands(sent)).toEqual([
      'CreateOpenIDConnectProviderCommand',
      'UpdateOpenIDConnectProviderThumbprintCommand',
      'TagOpenIDConnectProviderCommand',
    ]);
    expect(await describeInIam(iam, result.arn)).toMatchObject({
      thumbprints: [thumbA, thumbB],
      tags: { owner: 'platform' },
    });
  });

  it("honours the SDK's AWS_ENDPOINT_URL_IAM when no endpoint is passed", async () => {
    const saved = process.env.AWS_ENDPOINT_URL_IAM;
    process.env.AWS_ENDPOINT_URL_IAM = moto.endpoint;
    try {
      const fromEnvironment = await createIamClient({ credentials: dummyCredentials, maxAttempts: 1 });
      const result = await reconcileProvider(desired(), fromEnvironment, keep);
      expect(result.applied).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_IAM;
      else process.env.AWS_ENDPOINT_URL_IAM = saved;
    }
    // Created in moto, so the environment variable, not iam.amazonaws.com, decided where it went.
    expect(await readProvider(issuer, iam)).toMatchObject({ thumbprints: [thumbA] });
  });

  it('names the iam: action the credentials lack when IAM denies it (moto with authorisation on)', async () => {
    const user = 'irsa-issuer-readonly';
    await iam.send(new CreateUserCommand({ UserName: user }));
    const policy = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'oidc-read',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: providerIamReadActions.map((action) => `iam:${action}`), Resource: '*' },
          ],
        }),
      }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: policy.Policy?.Arn ?? '' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: user }));
    const readOnly = await motoIamClient(moto, {
      accessKeyId: key.AccessKey?.AccessKeyId ?? '',
      secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
    });

    await setMotoAuthentication(moto, true);
    try {
      // Reading is allowed: a dry run works with the read-only policy.
      expect((await previewProvider(desired(), readOnly, keep)).changes).toHaveLength(1);
      const failure = await reconcileProvider(desired(), readOnly, keep).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(IamError);
      const message = (failure as IamError).message;
      expect(message).toContain(
        'iam:CreateOpenIDConnectProvider on the OIDC provider for https://oidc.example.com/clusters/prod',
      );
      expect(message).toContain('AccessDenied');
      expect(message).toContain('docs/iam-policy.md');
    } finally {
      await setMotoAuthentication(moto, false);
    }
  });
});

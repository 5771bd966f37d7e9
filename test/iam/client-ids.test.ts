/*
 * Mocked with aws-sdk-client-mock, and only here: moto 5.2.1 does not implement
 * AddClientIDToOpenIDConnectProvider or RemoveClientIDFromOpenIDConnectProvider (moto/iam/responses.py
 * has no handler for either), and it has no account quota of OIDC providers, so it can neither
 * accept an audience change nor answer LimitExceeded for a create. The error shapes mocked below
 * are the SDK's own classes, shaped as IAM (and moto, for AccessDenied) answers them. Everything moto
 * does implement is tested against it in provider.test.ts.
 */
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListOpenIDConnectProvidersCommand,
  ListOpenIDConnectProviderTagsCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagOpenIDConnectProviderCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
} from '@aws-sdk/client-iam';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseIssuer } from '../../src/issuer.js';
import { IamError } from '../../src/errors.js';
import type { DesiredProvider } from '../../src/iam/provider.js';
import { readProvider } from '../../src/iam/provider.js';
import { reconcileProvider } from '../../src/iam/reconcile.js';
import { dummyCredentials } from '../stand/iam.js';

const issuer = parseIssuer('https://oidc.example.com/clusters/prod');
const arn = 'arn:aws:iam::123456789012:oidc-provider/oidc.example.com/clusters/prod';
const thumbA = 'a'.repeat(40);

function desired(overrides: Partial<DesiredProvider> = {}): DesiredProvider {
  return { issuer, clientIds: ['sts.amazonaws.com'], thumbprints: [thumbA], tags: {}, ...overrides };
}

async function failureOf(promise: Promise<unknown>): Promise<IamError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(IamError);
  return error as IamError;
}

describe('audiences and IAM error shapes (aws-sdk-client-mock: moto does not implement Add/RemoveClientIDToOpenIDConnectProvider)', () => {
  let client: IAMClient;
  let iam: AwsClientStub<IAMClient>;

  function existing(clientIds: string[]): void {
    iam.on(ListOpenIDConnectProvidersCommand).resolves({ OpenIDConnectProviderList: [{ Arn: arn }] });
    iam
      .on(GetOpenIDConnectProviderCommand)
      .resolves({ Url: issuer.providerName, ClientIDList: clientIds, ThumbprintList: [thumbA] });
    iam.on(ListOpenIDConnectProviderTagsCommand).resolves({ Tags: [], IsTruncated: false });
  }

  function writes(): string[] {
    return iam
      .calls()
      .map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name)
      .filter((name) => !/^(Get|List)/.test(name));
  }

  beforeEach(() => {
    // One instance, not the class: mocking IAMClient's prototype would also catch other files' clients.
    client = new IAMClient({ region: 'us-east-1', credentials: dummyCredentials });
    iam = mockClient(client);
  });

  it('adds a missing audience with AddClientIDToOpenIDConnectProvider', async () => {
    existing(['sts.amazonaws.com']);
    iam.on(AddClientIDToOpenIDConnectProviderCommand).resolves({});
    const result = await reconcileProvider(desired({ clientIds: ['sts.amazonaws.com', 'vault'] }), client, {
      pruneAudiences: false,
    });
    expect(result).toMatchObject({ arn, applied: true });
    expect(iam.commandCalls(AddClientIDToOpenIDConnectProviderCommand).map((call) => call.args[0].input)).toEqual([
      { OpenIDConnectProviderArn: arn, ClientID: 'vault' },
    ]);
    expect(writes()).toEqual(['AddClientIDToOpenIDConnectProviderCommand']);
  });

  it('keeps an extra audience without --prune-audiences, and makes no write call', async () => {
    existing(['sts.amazonaws.com', 'legacy']);
    const result = await reconcileProvider(desired(), client, { pruneAudiences: false });
    expect(result.applied).toBe(false);
    expect(result.plan.kept.clientIds).toEqual(['legacy']);
    expect(writes()).toEqual([]);
  });

  it('with --prune-audiences adds the new audience before removing the old one', async () => {
    existing(['legacy']);
    iam.on(AddClientIDToOpenIDConnectProviderCommand).resolves({});
    iam.on(RemoveClientIDFromOpenIDConnectProviderCommand).resolves({});
    await reconcileProvider(desired(), client, { pruneAudiences: true });
    expect(writes()).toEqual([
      'AddClientIDToOpenIDConnectProviderCommand',
      'RemoveClientIDFromOpenIDConnectProviderCommand',
    ]);
    expect(iam.commandCalls(RemoveClientIDFromOpenIDConnectProviderCommand)[0]?.args[0].input).toEqual({
      OpenIDConnectProviderArn: arn,
      ClientID: 'legacy',
    });
  });

  it('AccessDenied names the exact iam: action and the policy document', async () => {
    existing(['sts.amazonaws.com']);
    // The shape moto and IAM answer with: an unmodelled error named by its code.
    iam.on(AddClientIDToOpenIDConnectProviderCommand).rejects(
      new IAMServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: `User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:AddClientIDToOpenIDConnectProvider on resource: ${arn}`,
      }),
    );
    const error = await failureOf(
      reconcileProvider(desired({ clientIds: ['sts.amazonaws.com', 'vault'] }), client, { pruneAudiences: false }),
    );
    expect(error.message).toContain(`iam:AddClientIDToOpenIDConnectProvider on ${arn} failed: AccessDenied`);
    expect(error.message).toContain('not allowed iam:AddClientIDToOpenIDConnectProvider');
    expect(error.message).toContain('docs/iam-policy.md');
    expect(error.exitCode).toBe(1);
    expect(error.cause).toBeInstanceOf(IAMServiceException);
  });

  it('says how far it got when a later change fails', async () => {
    iam.on(ListOpenIDConnectProvidersCommand).resolves({ OpenIDConnectProviderList: [{ Arn: arn }] });
    iam
      .on(GetOpenIDConnectProviderCommand)
      .resolves({ Url: issuer.providerName, ClientIDList: [], ThumbprintList: ['b'.repeat(40)] });
    iam.on(ListOpenIDConnectProviderTagsCommand).resolves({ Tags: [] });
    iam.on(UpdateOpenIDConnectProviderThumbprintCommand).resolves({});
    iam.on(AddClientIDToOpenIDConnectProviderCommand).rejects(
      new IAMServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'denied',
      }),
    );
    const error = await failureOf(reconcileProvider(desired(), client, { pruneAudiences: false }));
    expect(error.message).toContain('1 of 2 planned changes were applied before this one');
  });

  it('LimitExceeded on create explains the account quota of OIDC providers and how to raise it', async () => {
    // moto keeps no such quota, so this answer can only be mocked.
    iam.on(ListOpenIDConnectProvidersCommand).resolves({ OpenIDConnectProviderList: [] });
    iam.on(CreateOpenIDConnectProviderCommand).rejects(
      new LimitExceededException({
        $metadata: { httpStatusCode: 409 },
        message: 'Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100',
      }),
    );
    const error = await failureOf(reconcileProvider(desired(), client, { pruneAudiences: false }));
    expect(error.message).toContain(
      'iam:CreateOpenIDConnectProvider on the OIDC provider for https://oidc.example.com/clusters/prod failed',
    );
    expect(error.message).toContain('quota of IAM OIDC identity providers (100 by default)');
    expect(error.message).toContain('Service Quotas');
  });

  it('LimitExceeded on adding an audience explains the 100 audiences a provider holds', async () => {
    existing(['sts.amazonaws.com']);
    iam.on(AddClientIDToOpenIDConnectProviderCommand).rejects(
      new LimitExceededException({
        $metadata: { httpStatusCode: 409 },
        message: 'Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100',
      }),
    );
    const error = await failureOf(
      reconcileProvider(desired({ clientIds: ['sts.amazonaws.com', 'more'] }), client, { pruneAudiences: false }),
    );
    expect(error.message).toContain('at most 100 client IDs');
  });

  it('reads every page of tags', async () => {
    // A provider holds at most 50 tags and IAM pages at 100 unless asked for less, so moto never
    // returns a second page to a reader that, like ours, does not pass MaxItems.
    iam
      .on(ListOpenIDConnectProvidersCommand)
      .resolves({ OpenIDConnectProviderList: [{ Arn: `${arn}-other` }, { Arn: arn }] });
    iam
      .on(GetOpenIDConnectProviderCommand)
      .resolves({ Url: issuer.providerName, ClientIDList: ['sts.amazonaws.com'], ThumbprintList: [thumbA] });
    iam
      .on(ListOpenIDConnectProviderTagsCommand)
      .resolvesOnce({ Tags: [{ Key: 'a', Value: '1' }], IsTruncated: true, Marker: 'm1' })
      .resolvesOnce({ Tags: [{ Key: 'b', Value: '2' }], IsTruncated: false });
    const provider = await readProvider(issuer, client);
    expect(provider?.arn).toBe(arn);
    expect(provider?.tags).toEqual({ a: '1', b: '2' });
    expect(iam.commandCalls(ListOpenIDConnectProviderTagsCommand).map((call) => call.args[0].input.Marker)).toEqual([
      undefined,
      'm1',
    ]);
    expect(iam.commandCalls(TagOpenIDConnectProviderCommand)).toHaveLength(0);
  });
});

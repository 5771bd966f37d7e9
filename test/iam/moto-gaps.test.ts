/*
 * client-ids.test.ts mocks the audience calls because moto does not implement them. This test
 * holds moto to that: the day it answers them, it fails and says to move those tests onto moto.
 */
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoIamClient } from '../stand/iam.js';
import { startMoto, type MotoServer } from '../stand/moto.js';

let moto: MotoServer;

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto.stop();
});

const moveTheTests =
  'moto now implements this call: move the audience tests in test/iam/client-ids.test.ts from aws-sdk-client-mock onto moto';

describe('what moto still lacks (the reason for the one mock)', () => {
  it('does not implement AddClientIDToOpenIDConnectProvider or RemoveClientIDFromOpenIDConnectProvider', async () => {
    const iam = await motoIamClient(moto);
    const created = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: 'https://oidc.example.com/gaps',
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: ['a'.repeat(40)],
      }),
    );
    const arn = created.OpenIDConnectProviderArn ?? '';
    const calls = [
      () =>
        iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'extra' })),
      () =>
        iam.send(
          new RemoveClientIDFromOpenIDConnectProviderCommand({
            OpenIDConnectProviderArn: arn,
            ClientID: 'sts.amazonaws.com',
          }),
        ),
    ];
    for (const call of calls) {
      const outcome = await call().then(
        () => 'answered',
        (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
      );
      expect(outcome, moveTheTests).toBe(500);
    }
    const provider = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect(provider.ClientIDList, moveTheTests).toEqual(['sts.amazonaws.com']);
  });
});

/**
 * IAM against moto_server: the same client the CLI builds, pointed at the stand-in, plus a recorder
 * of the commands it sends so tests can assert "no write call".
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import { createIamClient } from '../../src/iam/client.js';
import type { MotoServer } from './moto.js';

export const dummyCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

export async function motoIamClient(
  moto: MotoServer,
  credentials: { accessKeyId: string; secretAccessKey: string } = dummyCredentials,
): Promise<IAMClient> {
  // One attempt: a test that trips over moto should fail at once, not after backoff.
  return createIamClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}

/** Every command name the client sends from now on, e.g. `ListOpenIDConnectProvidersCommand`. */
export function recordCommands(client: IAMClient): string[] {
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return sent;
}

/** IAM's read calls are Get* and List*; anything else changes the account. */
export function writeCommands(sent: readonly string[]): string[] {
  return sent.filter((name) => !/^(Get|List)/.test(name));
}

/**
 * Several AWS accounts in one moto_server. moto picks a request's account from the server's
 * MOTO_ACCOUNT_ID (never set here), then the `x-moto-account-id` header, then the access key:
 * keys of an assumed role land in the role's account. So set-up speaks to an account by header, and
 * the code under test reaches it only the way it would in AWS, through sts:AssumeRole.
 */
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetOpenIDConnectProviderCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type GetOpenIDConnectProviderCommandOutput,
} from '@aws-sdk/client-iam';
import type { MotoServer } from './moto.js';
import { anyCredentials, type Credentials } from './s3.js';

/** moto's own default account: where keys it does not know land, as the base credentials do here. */
export const homeAccountId = '123456789012';

/** An IAM client in `account`, for set-up and for looking at what a run left there. */
export function iamInAccount(moto: MotoServer, account: string): IAMClient {
  const client = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: anyCredentials });
  client.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers !== undefined) request.headers['x-moto-account-id'] = account;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return client;
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
}

/** A role in `account` with one inline policy; moto never checks its trust policy on AssumeRole. */
export async function createAccountRole(
  moto: MotoServer,
  account: string,
  name: string,
  statements: readonly Statement[],
): Promise<string> {
  const iam = iamInAccount(moto, account);
  try {
    const trust = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${homeAccountId}:root` }, Action: 'sts:AssumeRole' },
      ],
    };
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: 'irsa-issuer-registrar',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      }),
    );
    return created.Role?.Arn ?? `arn:aws:iam::${account}:role/${name}`;
  } finally {
    iam.destroy();
  }
}

/** A user in the home account with these statements, and its access key: the run's base credentials. */
export async function createHomeUser(
  moto: MotoServer,
  name: string,
  statements: readonly Statement[],
): Promise<Credentials> {
  const iam = iamInAccount(moto, homeAccountId);
  try {
    await iam.send(new CreateUserCommand({ UserName: name }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: 'base',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      }),
    );
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey) throw new Error('moto returned no access key');
    return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
  } finally {
    iam.destroy();
  }
}

/** The issuer's provider in `account`, or undefined when there is none. */
export async function providerIn(
  moto: MotoServer,
  account: string,
  providerName: string,
): Promise<GetOpenIDConnectProviderCommandOutput | undefined> {
  const iam = iamInAccount(moto, account);
  try {
    return await iam.send(
      new GetOpenIDConnectProviderCommand({
        OpenIDConnectProviderArn: `arn:aws:iam::${account}:oidc-provider/${providerName}`,
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException' || (error as Error).name === 'NoSuchEntity') return undefined;
    throw error;
  } finally {
    iam.destroy();
  }
}

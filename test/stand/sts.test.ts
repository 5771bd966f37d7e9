/**
 * The STS stand-in against real parts: tokens minted by the API server stand's TokenRequest (or
 * hand-signed where a cluster would never mint them), documents published by the real sync and
 * served over TLS by the federation's host, providers and roles in moto's IAM. The AWS SDK's STS
 * client is the oracle for the wire format: every answer here went through its parser.
 */
import {
  AssumeRoleWithWebIdentityCommand,
  STSClient,
  type AssumeRoleWithWebIdentityCommandOutput,
} from '@aws-sdk/client-sts';
import { CreateOpenIDConnectProviderCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKey } from './apiserver-keys.js';
import { federationRoleArn, startFederation, type Federation } from './federation.js';
import { dummyCredentials } from './iam.js';
import { freePort } from './moto.js';
import { startSts, type StsStand } from './sts.js';
import { requestToken, serviceAccountClaims, signToken } from './web-identity.js';

const teamA = { namespace: 'team-a', name: 'app' };
const couldNotRetrieveKey =
  "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
const couldNotValidate =
  'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.';
const notAuthorized = 'Not authorized to perform sts:AssumeRoleWithWebIdentity';

let federation: Federation;
let sts: StsStand;
let client: STSClient;

beforeAll(async () => {
  federation = await startFederation();
  sts = await startSts({ iamEndpoint: federation.moto.endpoint, ca: federation.chain.root.certPem });
  // Credentials are never checked for this call (the token is the credential); one attempt, so a refusal is seen as sent.
  client = new STSClient({
    region: 'us-east-1',
    endpoint: sts.endpoint,
    credentials: dummyCredentials,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await sts.stop();
  await federation.stop();
});

beforeEach(async () => {
  sts.reset();
  await federation.reset();
  await federation.createProvider();
});

const assume = (
  token: string,
  extra: { RoleArn?: string; DurationSeconds?: number } = {},
): Promise<AssumeRoleWithWebIdentityCommandOutput> =>
  client.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: federationRoleArn,
      RoleSessionName: 'stand-test',
      WebIdentityToken: token,
      ...extra,
    }),
  );

interface Refusal {
  readonly name: string;
  readonly message: string;
  readonly status: number | undefined;
}

/** The SDK's error for a refused exchange: its code (as the error name), message and HTTP status. */
async function refusal(exchange: Promise<unknown>): Promise<Refusal> {
  try {
    await exchange;
  } catch (error) {
    const { name, message, $metadata } = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name, message, status: $metadata?.httpStatusCode };
  }
  throw new Error('STS accepted the token');
}

const signingKey = () => {
  const [key] = federation.stand.keys;
  if (key === undefined) throw new Error('the API server stand has no key');
  return key;
};

/** Adds a public key to the published JWKS, as a cluster with that key would publish it. */
async function publishKey(kid: string, alg: string, publicKey: KeyObject): Promise<void> {
  const path = federation.published('openid/v1/jwks');
  const jwks = JSON.parse(await readFile(path, 'utf8')) as { keys: object[] };
  jwks.keys.push({ use: 'sig', kid, alg, ...publicKey.export({ format: 'jwk' }) });
  await writeFile(path, JSON.stringify(jwks));
}

describe('the STS stand accepts what STS accepts', () => {
  it('exchanges a token the cluster minted for credentials the SDK parses', async () => {
    const answer = await assume(await requestToken(federation.stand, teamA));
    expect(answer.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(answer.Credentials?.SecretAccessKey).toHaveLength(40);
    expect(answer.Credentials?.SessionToken?.length).toBeGreaterThan(100);
    const lifetime = (answer.Credentials?.Expiration?.getTime() ?? 0) - Date.now();
    expect(lifetime).toBeGreaterThan(3500_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000);
    expect(answer.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/team-a-app/stand-test');
    expect(answer.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA\w+:stand-test$/);
    expect(answer.SubjectFromWebIdentityToken).toBe('system:serviceaccount:team-a:app');
    expect(answer.Audience).toBe('sts.amazonaws.com');
    expect(answer.Provider).toBe(`arn:aws:iam::123456789012:oidc-provider/${federation.issuer.providerName}`);
    expect(sts.answers).toEqual([{ status: 200, roleArn: federationRoleArn }]);
  });

  it("accepts a token signed by the cluster's EC P-256 key", async () => {
    const [rsa, ec] = federation.stand.keys;
    if (rsa === undefined || ec === undefined) throw new Error('the stand should start with an RSA and an EC key');
    federation.stand.setKeys([ec, rsa]);
    const token = await requestToken(federation.stand, teamA);
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toMatchObject({
      alg: 'ES256',
      kid: ec.kid,
    });
    expect((await assume(token)).SubjectFromWebIdentityToken).toBe('system:serviceaccount:team-a:app');
  });

  it.each([
    ['RS384', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['RS512', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['ES384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['ES512', () => generateKeyPairSync('ec', { namedCurve: 'P-521' })],
  ])('accepts %s, one of the six algorithms STS documents', async (alg, keyPair) => {
    const { privateKey, publicKey } = keyPair();
    await publishKey(`key-${alg}`, alg, publicKey);
    const token = signToken(
      privateKey,
      { alg, kid: `key-${alg}` },
      serviceAccountClaims(federation.issuer.url, teamA, 600),
    );
    expect((await assume(token)).Audience).toBe('sts.amazonaws.com');
  });

  it("accepts a token that expired less than five minutes ago: IAM's clock-skew window", async () => {
    const { kid, alg, privateKey } = signingKey();
    const token = signToken(privateKey, { alg, kid }, serviceAccountClaims(federation.issuer.url, teamA, -240));
    expect((await assume(token)).SubjectFromWebIdentityToken).toBe('system:serviceaccount:team-a:app');
  });
});

describe("the STS stand refuses, with STS's codes, what STS refuses", () => {
  it('a wrong signature', async () => {
    const { kid, alg } = signingKey();
    const impostor = await generateSigningKey('rsa');
    const token = signToken(impostor.privateKey, { alg, kid }, serviceAccountClaims(federation.issuer.url, teamA, 600));
    expect(await refusal(assume(token))).toEqual({
      name: 'InvalidIdentityTokenException',
      message: couldNotValidate,
      status: 400,
    });
    expect(sts.answers.at(-1)).toMatchObject({ status: 400, code: 'InvalidIdentityToken' });
  });

  it('an unknown kid: the cluster signs with a key that was never published', async () => {
    federation.stand.setKeys([await generateSigningKey('rsa'), ...federation.stand.keys]);
    const token = await requestToken(federation.stand, teamA);
    expect(await refusal(assume(token))).toEqual({
      name: 'InvalidIdentityTokenException',
      message: couldNotRetrieveKey,
      status: 400,
    });
  });

  it("an expired token, with STS's clock and the expiry in the message", async () => {
    const { kid, alg, privateKey } = signingKey();
    const claims = serviceAccountClaims(federation.issuer.url, teamA, -301);
    const refused = await refusal(assume(signToken(privateKey, { alg, kid }, claims)));
    expect(refused).toMatchObject({ name: 'ExpiredTokenException', status: 400 });
    expect(refused.message).toMatch(
      new RegExp(
        `^Token expired: current date/time \\d+ must be before the expiration date/time ${String(claims.exp)}$`,
      ),
    );
  });

  it("a fresh token, when STS's clock runs ahead of the cluster's by more than its lifetime and the window", async () => {
    sts.setClockOffset(600 + 301);
    expect(await refusal(assume(await requestToken(federation.stand, teamA)))).toMatchObject({
      name: 'ExpiredTokenException',
      status: 400,
    });
  });

  it("a token from the future: STS's clock behind the cluster's by more than five minutes", async () => {
    sts.setClockOffset(-301);
    expect(await refusal(assume(await requestToken(federation.stand, teamA)))).toEqual({
      name: 'InvalidIdentityTokenException',
      message: couldNotValidate,
      status: 400,
    });
  });

  it('a wrong audience', async () => {
    const token = await requestToken(federation.stand, teamA, 'vault');
    expect(await refusal(assume(token))).toEqual({
      name: 'InvalidIdentityTokenException',
      message: 'Incorrect token audience',
      status: 400,
    });
  });

  it("an issuer with no provider, and an issuer that differs from the provider's URL by a trailing slash", async () => {
    federation.stand.setIssuer('https://oidc.example.com/elsewhere');
    expect(await refusal(assume(await requestToken(federation.stand, teamA)))).toEqual({
      name: 'InvalidIdentityTokenException',
      message: 'No OpenIDConnect provider found in your account for https://oidc.example.com/elsewhere',
      status: 400,
    });
    federation.stand.setIssuer(`${federation.issuer.url}/`);
    expect((await refusal(assume(await requestToken(federation.stand, teamA)))).message).toBe(
      `No OpenIDConnect provider found in your account for ${federation.issuer.url}/`,
    );
  });

  it('a trust policy whose sub does not match', async () => {
    const token = await requestToken(federation.stand, { namespace: 'team-b', name: 'app' });
    expect(await refusal(assume(token))).toEqual({ name: 'AccessDenied', message: notAuthorized, status: 403 });
  });

  it('a role that does not exist, with the same answer as a trust policy that says no', async () => {
    const token = await requestToken(federation.stand, teamA);
    expect(await refusal(assume(token, { RoleArn: 'arn:aws:iam::123456789012:role/nobody' }))).toEqual({
      name: 'AccessDenied',
      message: notAuthorized,
      status: 403,
    });
  });

  it.each([
    ['three parts that are no JWT', 'garbage.garbage.garbage'],
    ['no dots at all', 'not-a-jwt-at-all'],
    ['a JSON header that is not base64url', 'eyJ+.eyJ.sig'],
  ])('garbage: %s', async (_what, token) => {
    expect(await refusal(assume(token))).toEqual({
      name: 'InvalidIdentityTokenException',
      message: 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
      status: 400,
    });
  });

  it('an algorithm STS does not accept (HS256), even with a valid kid', async () => {
    const { kid } = signingKey();
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(serviceAccountClaims(federation.issuer.url, teamA, 600))).toString(
      'base64url',
    );
    expect(await refusal(assume(`${header}.${payload}.c2lnbmF0dXJl`))).toMatchObject({
      name: 'InvalidIdentityTokenException',
      status: 400,
    });
  });

  it('a header alg that does not match the published key (ES256 claimed for an RSA key)', async () => {
    const { kid } = signingKey();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = signToken(privateKey, { alg: 'ES256', kid }, serviceAccountClaims(federation.issuer.url, teamA, 600));
    expect(await refusal(assume(token))).toEqual({
      name: 'InvalidIdentityTokenException',
      message: couldNotValidate,
      status: 400,
    });
  });

  it('a token longer than 20,000 characters, before looking at it', async () => {
    expect(await refusal(assume('x'.repeat(20_001)))).toEqual({
      name: 'ValidationError',
      message:
        "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000",
      status: 400,
    });
  });

  it('a session longer than the role allows', async () => {
    const token = await requestToken(federation.stand, teamA);
    expect(await refusal(assume(token, { DurationSeconds: 7200 }))).toEqual({
      name: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      status: 400,
    });
  });
});

describe("the STS stand fetches the issuer's documents as STS does", () => {
  it("refuses a host whose last presented certificate is not in the provider's thumbprints, even the root's", async () => {
    const token = await requestToken(federation.stand, teamA);
    for (const thumbprints of [['0123456789abcdef0123456789abcdef01234567'], [federation.chain.root.sha1]]) {
      await federation.reset();
      await federation.createProvider({ thumbprints });
      expect(await refusal(assume(token))).toEqual({
        name: 'InvalidIdentityTokenException',
        message: "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
        status: 400,
      });
    }
  });

  it("ignores the thumbprint for a CA in AWS's trusted library", async () => {
    const trusting = await startSts({
      iamEndpoint: federation.moto.endpoint,
      ca: federation.chain.root.certPem,
      publiclyTrustedCa: true,
    });
    const viaTrusting = new STSClient({
      region: 'us-east-1',
      endpoint: trusting.endpoint,
      credentials: dummyCredentials,
      maxAttempts: 1,
    });
    try {
      await federation.reset();
      await federation.createProvider({ thumbprints: ['0123456789abcdef0123456789abcdef01234567'] });
      const answer = await viaTrusting.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: federationRoleArn,
          RoleSessionName: 'stand-test',
          WebIdentityToken: await requestToken(federation.stand, teamA),
        }),
      );
      expect(answer.Audience).toBe('sts.amazonaws.com');
    } finally {
      viaTrusting.destroy();
      await trusting.stop();
    }
  });

  it('cannot retrieve the key when the JWKS is gone', async () => {
    await unlink(federation.published('openid/v1/jwks'));
    expect(await refusal(assume(await requestToken(federation.stand, teamA)))).toEqual({
      name: 'InvalidIdentityTokenException',
      message: couldNotRetrieveKey,
      status: 400,
    });
  });

  it("answers IDPCommunicationError when the issuer's host cannot be reached", async () => {
    const gone = `https://127.0.0.1:${String(await freePort())}/clusters/gone`;
    federation.stand.setIssuer(gone);
    await federation.iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: gone,
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: [federation.chain.intermediate.sha1],
      }),
    );
    await federation.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'team-a-app',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${gone.slice(8)}` },
              Action: 'sts:AssumeRoleWithWebIdentity',
            },
          ],
        }),
      }),
    );
    const refused = await refusal(assume(await requestToken(federation.stand, teamA)));
    expect(refused).toMatchObject({ name: 'IDPCommunicationErrorException', status: 400 });
    expect(refused.message).toMatch(
      /identity provider \(IDP\) that was asked to verify the incoming identity token could not be reached/,
    );
  });
});

describe("the STS stand evaluates the role's trust policy", () => {
  const provider = () => `arn:aws:iam::123456789012:oidc-provider/${federation.issuer.providerName}`;
  const trust = (statements: object[]) =>
    federation.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'team-a-app',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      }),
    );
  const allow = (condition: object = {}) => ({
    Effect: 'Allow',
    Principal: { Federated: provider() },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: condition,
  });

  it('StringLike on sub lets every service account of a namespace in, and only that namespace', async () => {
    await trust([
      allow({ StringLike: { [`${federation.issuer.providerName}:sub`]: 'system:serviceaccount:team-a:*' } }),
    ]);
    expect(
      (await assume(await requestToken(federation.stand, { namespace: 'team-a', name: 'worker' })))
        .SubjectFromWebIdentityToken,
    ).toBe('system:serviceaccount:team-a:worker');
    expect(
      (await refusal(assume(await requestToken(federation.stand, { namespace: 'team-b', name: 'worker' })))).name,
    ).toBe('AccessDenied');
  });

  it("StringEquals on aud must name the token's audience", async () => {
    await trust([allow({ StringEquals: { [`${federation.issuer.providerName}:aud`]: 'sts.amazonaws.com' } })]);
    expect((await assume(await requestToken(federation.stand, teamA))).Audience).toBe('sts.amazonaws.com');
    await trust([allow({ StringEquals: { [`${federation.issuer.providerName}:aud`]: 'something-else' } })]);
    expect((await refusal(assume(await requestToken(federation.stand, teamA)))).name).toBe('AccessDenied');
  });

  it('an explicit Deny wins over an Allow', async () => {
    await trust([
      allow(),
      {
        Effect: 'Deny',
        Principal: { Federated: provider() },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${federation.issuer.providerName}:sub`]: 'system:serviceaccount:team-a:app' } },
      },
    ]);
    expect((await refusal(assume(await requestToken(federation.stand, teamA)))).name).toBe('AccessDenied');
  });

  it('a statement for another provider, or another action, lets nobody in', async () => {
    await trust([
      { ...allow(), Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/oidc.example.com' } },
      { ...allow(), Action: 'sts:AssumeRole' },
    ]);
    expect((await refusal(assume(await requestToken(federation.stand, teamA)))).name).toBe('AccessDenied');
  });

  it('fails loudly, as itself and not as STS, on a condition it cannot evaluate', async () => {
    await trust([
      allow({ 'ForAnyValue:StringEquals': { [`${federation.issuer.providerName}:amr`]: 'authenticated' } }),
    ]);
    const refused = await refusal(assume(await requestToken(federation.stand, teamA)));
    expect(refused).toMatchObject({ name: 'StsStandFailure', status: 500 });
    expect(refused.message).toMatch(/does not evaluate the condition operator ForAnyValue:StringEquals/);
  });
});

/**
 * 9. The real thing: AssumeRoleWithWebIdentity with the minted token. The call is authenticated by
 * the token alone, so the client needs no AWS credentials. Only the assumed identity is reported;
 * the temporary credentials STS returns are dropped on the floor.
 */
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig, type AwsClientOptions } from '../aws-client.js';
import { awsErrorName, describeCause } from '../errors.js';
import type { Issuer } from '../issuer.js';
import { failed, passed, type Check } from './check.js';
import type { ServiceAccountRef, VerifiedToken } from './token.js';

/** An `STSClient`, or anything that sends its commands the same way. */
export type StsApi = Pick<STSClient, 'send'>;

export interface StsClientOptions extends AwsClientOptions {
  /** The regional endpoint to ask; us-east-1 when omitted. The SDK itself honours AWS_ENDPOINT_URL_STS. */
  readonly region?: string;
  /** Only when explicitly asked for (tests, a proxy); AWS_ENDPOINT_URL_STS covers the rest. */
  readonly endpoint?: string;
}

/**
 * The SDK already signs nothing for AssumeRoleWithWebIdentity at a regional endpoint, but picks
 * SigV4 (and so demands credentials) when its endpoint rules name the global sts.amazonaws.com
 * (region aws-global, AWS_STS_REGIONAL_ENDPOINTS=legacy). Pinning "no auth" keeps the call
 * anonymous everywhere, as STS documents it: the web identity token is the credential.
 */
export function createAnonymousStsClient(options: StsClientOptions = {}): STSClient {
  return new STSClient({
    ...awsClientConfig(options),
    region: options.region ?? 'us-east-1',
    httpAuthSchemeProvider: () => [{ schemeId: 'smithy.api#noAuth' }],
    maxAttempts: 2,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
}

const verifySessionName = 'irsa-issuer-verify';

interface StsContext {
  readonly issuer: Issuer;
  readonly roleArn: string;
  readonly serviceAccount: ServiceAccountRef;
  readonly audience: string;
}

function trustPolicyFix(context: StsContext): string {
  const { issuer, roleArn, serviceAccount, audience } = context;
  const [, partition = 'aws', , , account = 'ACCOUNT'] = roleArn.split(':');
  const statement = {
    Effect: 'Allow',
    Principal: { Federated: `arn:${partition}:iam::${account}:oidc-provider/${issuer.providerName}` },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: {
      StringEquals: {
        [`${issuer.providerName}:sub`]: `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`,
        [`${issuer.providerName}:aud`]: audience,
      },
    },
  };
  return `Let the service account assume the role; its trust policy needs this statement: ${JSON.stringify(statement)}`;
}

function explain(error: unknown, context: StsContext): string {
  const name = awsErrorName(error);
  const message = error instanceof Error ? error.message : '';
  switch (name) {
    case 'AccessDenied':
      return trustPolicyFix(context);
    case 'InvalidIdentityToken':
      if (/provider/i.test(message) && /found|exist/i.test(message)) return `Create the IAM OIDC provider in the role's account: irsa-issuer sync --issuer ${context.issuer.url}.`;
      if (/audience/i.test(message)) return `Add client ID ${context.audience} to the provider: irsa-issuer sync --audience ${context.audience}.`;
      return 'STS rejected the token itself; the checks above (keys, thumbprint, audience, provider) name the likely cause. STS caches an issuer\'s keys for a while, so a just-synced key may need some minutes.';
    case 'IDPCommunicationError':
      return `STS could not fetch the discovery document or JWKS of ${context.issuer.url} in time. Make the host reachable from the internet on port 443 and fast; then retry.`;
    case 'IDPRejectedClaim':
      return 'STS rejected a claim of the token; check the audience and the provider\'s client IDs.';
    case 'ExpiredToken':
      return 'The token had expired by STS\'s clock: fix time synchronisation (NTP) on the API server.';
    case 'ValidationError':
    case 'InvalidParameterValue':
    case 'MalformedPolicyDocument':
      return 'Pass the role as arn:aws:iam::ACCOUNT:role/NAME with --role-arn.';
    default:
      return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === undefined
        ? 'Check the network path to STS (or AWS_ENDPOINT_URL_STS), then retry.'
        : 'Fix what STS\'s message names, then retry.';
  }
}

export async function checkSts(context: StsContext, verified: VerifiedToken, sts: StsApi): Promise<Check> {
  try {
    const response = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: context.roleArn,
        RoleSessionName: verifySessionName,
        WebIdentityToken: verified.token,
        DurationSeconds: 900,
      }),
    );
    const assumed = response.AssumedRoleUser?.Arn ?? 'an unnamed session';
    return passed('sts', `the token for ${verified.subject} was accepted: assumed ${assumed}`);
  } catch (error) {
    // STS does not echo the token, but a proxy's error page might: it never reaches a report.
    const cause = describeCause(error).replaceAll(verified.token, '[token]');
    return failed('sts', `AssumeRoleWithWebIdentity for ${context.roleArn} failed: ${cause}`, explain(error, context));
  }
}

/**
 * 9. The real thing: AssumeRoleWithWebIdentity with the minted token. The call is authenticated by
 * the token alone, so the client needs no AWS credentials. Only the assumed identity is reported;
 * the temporary credentials STS returns are dropped on the floor.
 */
// Types only: the SDK itself is loaded where it is used (sts-sdk.ts says why).
import type { STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig, type AwsClientOptions } from '../aws-client.js';
import { awsErrorName, describeCause } from '../errors.js';
import type { Issuer } from '../issuer.js';
import { failed, passed, type Check } from './check.js';
import { publishWith, roleNameOf, syncCommandLine } from './commands.js';
import { thumbprintUpdate, type LastCertificate } from './provider.js';
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
export async function createAnonymousStsClient(options: StsClientOptions = {}): Promise<STSClient> {
  const { STSClient } = await import('./sts-sdk.js');
  return new STSClient({
    ...awsClientConfig(options),
    region: options.region ?? 'us-east-1',
    httpAuthSchemeProvider: () => [{ schemeId: 'smithy.api#noAuth' }],
    maxAttempts: 2,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
}

const verifySessionName = 'irsa-issuer-verify';
/** The shortest session STS grants: verify only needs to see the exchange succeed. */
const verifySessionSeconds = 900;

interface StsContext {
  readonly issuer: Issuer;
  readonly roleArn: string;
  readonly serviceAccount: ServiceAccountRef;
  readonly audience: string;
  /** The last certificate the jwks_uri host presents, when the thumbprint check could read it. */
  readonly presented?: LastCertificate | undefined;
  /** The provider's ARN, when the provider check found it. */
  readonly providerArn?: string | undefined;
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
  const role = roleNameOf(roleArn);
  return (
    `Let the service account assume the role; its trust policy needs this statement: ${JSON.stringify(statement)}. ` +
    `STS gives the same answer when the role ${role} does not exist in account ${account}: check that it does with ` +
    `aws iam get-role --role-name ${role}.`
  );
}

/**
 * "Couldn't retrieve verification key from your identity provider" (InvalidIdentityToken) and
 * IDPCommunicationError: STS has been seen answering an unreachable issuer with either (see
 * test/stand/sts-errors.ts), so both get the one explanation of what STS needs.
 */
function documentsFix(context: StsContext, kid: string): string {
  const { issuer } = context;
  return (
    `STS could not read ${issuer.discoveryUrl} or the JWKS it names anonymously over HTTPS (port 443, within about 5 ` +
    `seconds, without following a redirect), ` +
    `or that JWKS lacks the token's kid ${kid}. The discovery, jwks, limits and token checks above show which from ` +
    `here; from the internet the host must answer the same way, on port 443. ` +
    `Publish the cluster's current keys with ${publishWith(issuer)}.`
  );
}

function thumbprintFix(context: StsContext): string {
  const { issuer, presented, providerArn } = context;
  if (presented === undefined || providerArn === undefined) {
    return (
      `STS holds the last certificate the JWKS host presents against the provider's thumbprints and found none ` +
      `that matches. ` +
      `See which certificate that is: irsa-issuer thumbprint ${issuer.jwksUrl}; then put its thumbprint on ` +
      `the provider: ` +
      `${syncCommandLine(issuer) ?? 'aws iam update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn ARN --thumbprint-list THUMBPRINT'}.`
    );
  }
  return (
    `STS holds the last certificate ${presented.where} presents, ${presented.subject} (thumbprint ` +
    `${presented.thumbprint}), against the provider's thumbprints, and the provider does not list it. ` +
    `${thumbprintUpdate(issuer, providerArn, presented.thumbprint)}.`
  );
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** A request STS refused as invalid: its own words say what, unless it is the ARN verify was given. */
function validationFix(message: string, roleArn: string): string {
  if (/\bARN\b|roleArn/i.test(message)) return 'Pass the role as arn:aws:iam::ACCOUNT:role/NAME with --role-arn.';
  if (/DurationSeconds|MaxSessionDuration/.test(message)) {
    const role = roleNameOf(roleArn);
    return (
      `STS says: "${sentence(message)}" verify asks for ${verifySessionSeconds} seconds, the shortest session ` +
      `STS grants; check the role's maximum: aws iam get-role --role-name ${role} --query Role.MaxSessionDuration.`
    );
  }
  if (/webIdentityToken/.test(message)) {
    return (
      `STS says: "${sentence(message)}" A service-account token is about a kilobyte and STS takes up to 20,000 ` +
      `characters: check what mints this one (TokenRequest on the API server).`
    );
  }
  return `STS says: "${sentence(message)}" Fix what it names, then verify again.`;
}

function explain(error: unknown, context: StsContext, verified: VerifiedToken): string {
  const name = awsErrorName(error);
  const message = error instanceof Error ? error.message : '';
  switch (name) {
    case 'AccessDenied':
      return trustPolicyFix(context);
    case 'InvalidIdentityToken':
      if (/provider/i.test(message) && /found|exist/i.test(message)) {
        const sync = syncCommandLine(context.issuer);
        return (
          `Create the IAM OIDC provider in the role's account: ` +
          `${sync ?? `aws iam create-open-id-connect-provider --url ${context.issuer.url} --client-id-list ${context.audience}`}.`
        );
      }
      if (/audience/i.test(message)) {
        const byHand =
          'aws iam add-client-id-to-open-id-connect-provider ' +
          `--open-id-connect-provider-arn ${context.providerArn ?? 'ARN'} --client-id ${context.audience}`;
        const sync = syncCommandLine(context.issuer, `--audience ${context.audience}`);
        return `Add client ID ${context.audience} to the provider: ${sync ?? byHand}.`;
      }
      if (/thumbprint/i.test(message)) return thumbprintFix(context);
      if (/verification key/i.test(message)) return documentsFix(context, verified.kid);
      return (
        'STS rejected the token itself; the checks above (keys, thumbprint, audience, provider) name the likely ' +
        "cause. STS caches an issuer's keys for a while, so a just-synced key may need some minutes."
      );
    case 'IDPCommunicationError':
      return documentsFix(context, verified.kid);
    case 'IDPRejectedClaim':
      return "STS rejected a claim of the token; check the audience and the provider's client IDs.";
    case 'ExpiredToken':
      return "The token had expired by STS's clock: fix time synchronisation (NTP) on the API server.";
    case 'ValidationError':
    case 'InvalidParameterValue':
    case 'MalformedPolicyDocument':
      return validationFix(message, context.roleArn);
    default:
      return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === undefined
        ? 'Check the network path to STS (or AWS_ENDPOINT_URL_STS), then retry.'
        : "Fix what STS's message names, then retry.";
  }
}

export async function checkSts(context: StsContext, verified: VerifiedToken, sts: StsApi): Promise<Check> {
  try {
    const { AssumeRoleWithWebIdentityCommand } = await import('./sts-sdk.js');
    const response = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: context.roleArn,
        RoleSessionName: verifySessionName,
        WebIdentityToken: verified.token,
        DurationSeconds: verifySessionSeconds,
      }),
    );
    const assumed = response.AssumedRoleUser?.Arn ?? 'an unnamed session';
    return passed('sts', `the token for ${verified.subject} was accepted: assumed ${assumed}`);
  } catch (error) {
    // STS does not echo the token, but a proxy's error page might: it never reaches a report.
    const cause = describeCause(error).replaceAll(verified.token, '[token]');
    return failed(
      'sts',
      `AssumeRoleWithWebIdentity for ${context.roleArn} failed: ${cause}`,
      explain(error, context, verified).replaceAll(verified.token, '[token]'),
    );
  }
}

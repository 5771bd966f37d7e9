/**
 * STS's answers to a refused AssumeRoleWithWebIdentity: code, HTTP status and message text, each
 * with where it was seen. Codes and statuses come from STS's own service model
 * (botocore/data/sts/2011-06-15/service-2.json, `AssumeRoleWithWebIdentity.errors`: every one of
 * them `senderFault`, 400 except IDPRejectedClaim and RegionDisabledException at 403). Message
 * texts are those people pasted from real STS answers; where none could be found the model's own
 * description of the error is used, and the comment says so.
 */

export interface StsError {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

/** A refusal the stand answers with; thrown inside the request handler, rendered as STS's XML. */
export class StsRefusal extends Error {
  constructor(readonly refusal: StsError) {
    super(`${refusal.code}: ${refusal.message}`);
    this.name = 'StsRefusal';
  }
}

const refuse = (code: string, status: number, message: string): StsRefusal => new StsRefusal({ code, status, message });

/** The model's description of InvalidIdentityToken, used where no pasted STS text was found. */
const notValidated =
  'The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.';

export const refusals = {
  /**
   * Not three base64url parts with a JSON header: "InvalidIdentityToken: The ID Token provided is
   * not a valid JWT. (You may see this error if you sent an Access Token)", status code 400, pasted
   * from real STS in a 2022 Vault/LocalStack IRSA write-up (the token reached the real
   * sts.amazonaws.com).
   */
  notAJwt: () =>
    refuse(
      'InvalidIdentityToken',
      400,
      'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
    ),

  /**
   * No provider whose URL is the token's `iss` in the role's account, e.g.
   * aws-actions/configure-aws-credentials#721, mozilla-iam/mozilla-aws-cli#127 (the whole
   * ErrorResponse, HTTP 400), namespacelabs/foundation#801 ("StatusCode: 400").
   */
  noProvider: (issuer: string) =>
    refuse('InvalidIdentityToken', 400, `No OpenIDConnect provider found in your account for ${issuer}`),

  /**
   * The discovery document or JWKS could not be read, or holds no key for the token's `kid`:
   * aws/amazon-eks-pod-identity-webhook#12 (a JWKS without the token's kid), aws/aws-cli#7194,
   * awslabs/aws-sdk-rust#827 (the ErrorResponse, HTTP 400; note the two spaces after the comma).
   * AWS's knowledge-center article "iam-sts-invalididentitytoken" lists the causes: documents not
   * public, a firewall, more than 5 seconds of latency.
   */
  noVerificationKey: () =>
    refuse(
      'InvalidIdentityToken',
      400,
      "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
    ),

  /**
   * The identity provider could not be reached at all (connection refused, reset, no such host).
   * No pasted text was found; the message is the model's description. Real STS has also been seen
   * answering an unreachable issuer with `noVerificationKey` (the knowledge-center article above):
   * a `verify` that explains one must explain both.
   */
  idpUnreachable: () =>
    refuse(
      'IDPCommunicationError',
      400,
      "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached. This is often a transient error caused by network conditions. Retry the request a limited number of times so that you don't exceed the request rate. If the error persists, the identity provider might be down or not responding.",
    ),

  /**
   * The TLS certificate of the issuer's host does not chain to a CA the provider's thumbprints
   * name: alphagov/gsp#889, hashicorp-education/learn-terraform-dynamic-credentials#2
   * ("StatusCode: 400 ... InvalidIdentityToken"), AWS knowledge-center "eks-error-invalid-identity-token".
   */
  thumbprintMismatch: () =>
    refuse(
      'InvalidIdentityToken',
      400,
      "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
    ),

  /** No `aud` in the provider's client IDs: awslabs/amazon-eks-irsa-cfn#18, guardian/cdk#1944. */
  wrongAudience: () => refuse('InvalidIdentityToken', 400, 'Incorrect token audience'),

  /** A token without `aud`: aws/aws-sdk-ruby#2698 ("Missing a required claim: aud"); `exp` by analogy. */
  missingClaim: (claim: string) => refuse('InvalidIdentityToken', 400, `Missing a required claim: ${claim}`),

  /**
   * Signature, algorithm, key type or timestamp format wrong. No pasted STS text was found for
   * these; the model's description of InvalidIdentityToken is used.
   */
  notValidated: () => refuse('InvalidIdentityToken', 400, notValidated),

  /**
   * Past `exp` (plus the tolerance): "ExpiredTokenException: Token expired: current date/time
   * 1731098245 must be before the expiration date/time 1731095240 (Service: Sts, Status Code: 400"
   * in aws/aws-sdk-java-v2#5709; the same text in awslabs/aws-orbit-workbench#771.
   */
  expired: (now: number, expiry: number) =>
    refuse(
      'ExpiredTokenException',
      400,
      `Token expired: current date/time ${now} must be before the expiration date/time ${expiry}`,
    ),

  /**
   * The trust policy does not let this token assume the role, or the role does not exist (STS does
   * not tell the two apart): "Not authorized to perform sts:AssumeRoleWithWebIdentity (Service:
   * AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied" in
   * aws-amplify/aws-sdk-android#9, aws/aws-sdk-java-v2#1470, aws/aws-sdk-net#1522.
   */
  accessDenied: () => refuse('AccessDenied', 403, 'Not authorized to perform sts:AssumeRoleWithWebIdentity'),

  /**
   * Request validation, in AWS's standard wording ("1 validation error detected: Value '' at
   * 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
   * mmmorris1975/aws-runas#80; a sensitive member's value is left out); limits from the model
   * (roleSessionNameType 2..64 `[\w+=,.@-]*`, clientTokenType 4..20000, roleDurationSecondsType
   * 900..43200, arnType 20..2048).
   */
  invalidParameter: (detail: string) => refuse('ValidationError', 400, `1 validation error detected: ${detail}`),

  /** A RoleArn that is no role ARN: "ValidationError ... Request ARN is invalid", physera/onelogin-aws-cli#12. */
  invalidArn: () => refuse('ValidationError', 400, 'Request ARN is invalid'),

  /**
   * DurationSeconds above the role's MaxSessionDuration: "ValidationError: The requested
   * DurationSeconds exceeds the MaxSessionDuration set for this role. status code: 400",
   * kreuzwerker/awsu#27; the same text for AssumeRoleWithSAML in GuildEducationInc/aws-jumpcloud#49.
   */
  durationTooLong: () =>
    refuse('ValidationError', 400, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'),

  /** An action this stand does not serve, worded as AWS's query APIs answer an unknown action. */
  unknownAction: (action: string) =>
    refuse('InvalidAction', 400, `Could not find operation ${action} for version 2011-06-15`),
} as const;

/*
 * Not produced: IDPRejectedClaim (403). STS uses it when a provider it calls back (the legacy
 * graph.facebook.com / Login with Amazon flow) rejects the token, e.g. aws/aws-sdk-js#198
 * ("graph.facebook.com responded with HTTP/1.1 400 Bad Request"); no OIDC path was found where STS
 * answers with it, so inventing one would teach `verify` a case that does not happen.
 */

/**
 * The IAM side: the provider STS looks up by the token's `iss`, the thumbprint it falls back on for
 * a certificate outside AWS's CA library, and the client IDs it compares with the token's `aud`.
 */
import { rootCertificates } from 'node:tls';
import { describeCause } from '../errors.js';
import { readProvider, type ActualProvider, type ProviderApi } from '../iam/index.js';
import type { Issuer } from '../issuer.js';
import { targetFromUrl, type ProbeOptions, type ProbeTarget, type ThumbprintProbe } from '../thumbprint/index.js';
import { failed, passed, type Check, type Outcome } from './check.js';
import { registerCommandLine, syncCommandLine } from './commands.js';

export type Probe = (target: ProbeTarget, options: ProbeOptions) => Promise<ThumbprintProbe>;

/** 5. STS finds the provider by the exact `HOST/PATH` of `iss`, in the role's account. */
export async function checkProvider(
  issuer: Issuer,
  audience: string,
  api: ProviderApi,
): Promise<Outcome<ActualProvider>> {
  let provider: ActualProvider | undefined;
  try {
    provider = await readProvider(issuer, api);
  } catch (error) {
    return {
      check: failed(
        'provider',
        `could not read the IAM OIDC providers: ${describeCause(error)}`,
        'Give these credentials the read-only actions iam:ListOpenIDConnectProviders and ' +
          'iam:GetOpenIDConnectProvider (and iam:ListOpenIDConnectProviderTags), or pass --no-aws to skip the ' +
          'IAM checks.',
      ),
    };
  }
  if (provider === undefined) {
    const create = `aws iam create-open-id-connect-provider --url ${issuer.url} --client-id-list ${audience}`;
    const sync = syncCommandLine(issuer);
    return {
      check: failed(
        'provider',
        `the account of the AWS credentials in use has no IAM OIDC provider for ${issuer.providerName}, so STS ` +
          `rejects every token with "iss" ${issuer.url}`,
        `Create it: ${sync === undefined ? `${registerCommandLine(issuer)}, or ${create}` : `${sync} (without --no-register), or ${create}`}. It must be in ` +
          `the account of the roles your workloads assume.`,
      ),
    };
  }
  return {
    check: passed(
      'provider',
      `${provider.arn} (client IDs: ${provider.clientIds.join(', ') || 'none'}; thumbprints: ` +
        `${provider.thumbprints.join(', ') || 'none'})`,
    ),
    value: provider,
  };
}

/** The last certificate a host presents: what STS holds against the provider's thumbprints. */
export interface LastCertificate {
  /** `HOST:PORT` */
  readonly where: string;
  readonly subject: string;
  /** SHA-1, 40 lower-case hex. */
  readonly thumbprint: string;
}

/**
 * 6. AWS verifies the jwks_uri host's certificate with its own library of trusted CAs, and only
 * when the chain is not signed by one of them does it fall back on the provider's thumbprints:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html
 * Node's bundled roots (Mozilla's program, without NODE_EXTRA_CA_CERTS or --ca-file) stand in for
 * that library, so a private CA trusted only here still counts as untrusted, as it does for AWS.
 */
export async function checkThumbprint(
  issuer: Issuer,
  provider: ActualProvider,
  jwksUri: string,
  probe: Probe,
  timeoutMs: number,
): Promise<Outcome<LastCertificate>> {
  const target = targetFromUrl(jwksUri);
  const where = `${target.host}:${target.port ?? 443}`;
  let result: ThumbprintProbe;
  try {
    result = await probe(target, { timeoutMs, ca: rootCertificates });
  } catch (error) {
    return {
      check: failed(
        'thumbprint',
        `could not read the certificate chain of ${where}: ${describeCause(error)}`,
        `STS has to reach ${where} over TLS too; fix what the message names, then verify again.`,
      ),
    };
  }
  const last = result.chain.at(-1);
  const certificate: LastCertificate = { where, subject: last?.subject ?? 'unknown', thumbprint: result.thumbprint };
  const presented =
    `${where} presents ${result.chain.length} certificate(s), the last ${certificate.subject} with ` +
    `thumbprint ${result.thumbprint}`;
  const trust = result.trusted
    ? 'its chain is signed by a publicly trusted CA, so AWS verifies it without the thumbprint'
    : `its chain is not signed by a publicly trusted CA (${result.trustError ?? 'untrusted'}), so AWS relies on ` +
      `the thumbprint`;
  const warnings = result.hostnameMatches ? [] : [`The certificate ${where} presents is not valid for ${target.host}.`];
  const listed = provider.thumbprints.map((thumbprint) => thumbprint.toLowerCase());
  if (listed.includes(result.thumbprint)) {
    return {
      check: passed('thumbprint', `${presented}, which the provider lists; ${trust}`, warnings),
      value: certificate,
    };
  }
  const update = thumbprintUpdate(issuer, provider.arn, result.thumbprint);
  const mismatch = `the provider lists ${listed.join(', ') || 'no thumbprint'}, but ${presented}`;
  if (result.trusted) {
    return {
      check: passed('thumbprint', `${mismatch}; ${trust}`, [
        ...warnings,
        `The provider's thumbprint is stale; harmless while the certificate comes from a CA in AWS's library, wrong ` +
          `once it does not. ${update}.`,
      ]),
      value: certificate,
    };
  }
  return {
    check: failed(
      'thumbprint',
      `${mismatch}; ${trust}, and rejects this one`,
      `Put the thumbprint of the last certificate the host presents on the provider: ${update}.`,
      warnings,
    ),
    value: certificate,
  };
}

/** The commands that put a thumbprint on the provider: sync recomputes it, or IAM's own. */
export function thumbprintUpdate(issuer: Issuer, providerArn: string, thumbprint: string): string {
  const aws =
    `aws iam update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn ${providerArn} ` +
    `--thumbprint-list ${thumbprint}`;
  const sync = syncCommandLine(issuer);
  return `${sync ?? registerCommandLine(issuer)} updates it, or: ${aws}`;
}

/** 7. STS accepts a token only when one of its `aud` values is a client ID of the provider. */
export function checkAudience(issuer: Issuer, provider: ActualProvider, audiences: readonly string[]): Check {
  const missing = audiences.filter((audience) => !provider.clientIds.includes(audience));
  if (missing.length === 0) {
    return passed('audience', `the provider lists client ID${audiences.length > 1 ? 's' : ''} ${audiences.join(', ')}`);
  }
  const aws =
    `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${provider.arn} ` +
    `--client-id ${missing[0] ?? ''}`;
  const flags = audiences.map((audience) => `--audience ${audience}`);
  const sync = syncCommandLine(issuer, ...flags) ?? registerCommandLine(issuer, ...flags);
  return failed(
    'audience',
    `the provider's client IDs are ${provider.clientIds.join(', ') || 'empty'}, not ${missing.join(', ')}, so STS ` +
      `rejects tokens for ${missing.length > 1 ? 'those audiences' : 'that audience'}`,
    `Add ${missing.length > 1 ? 'them' : 'it'}: ` + `${sync} (other client IDs are kept), or ${aws}.`,
  );
}

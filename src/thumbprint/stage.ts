import type { Issuer } from '../issuer.js';
import type { Logger } from '../log.js';
import type { StageOutcome } from '../report.js';

/** What the thumbprint stage needs from a TLS probe of the jwks_uri host. */
export interface ThumbprintResult {
  readonly thumbprint: string;
  readonly trusted: boolean;
  readonly trustError?: string;
}

export type JwksHostProbe = (url: string) => Promise<ThumbprintResult>;

/**
 * The thumbprint stage of a run: the values the provider must list, pinned by the user or probed
 * from the jwks_uri host (the last certificate it presents). `jwksUri` is where the discovery
 * document points (the issuer's own `/openid/v1/jwks` for what sync publishes). When it is on
 * another host than the discovery document, that host is probed too and listed second: AWS checks
 * both hosts against the list when it falls back on thumbprints, and the jwks_uri host's is the one
 * it needs most.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html
 */
export async function thumbprintStage(
  issuer: Issuer,
  pinned: readonly string[],
  probe: JwksHostProbe,
  log: Logger,
  jwksUri: string = issuer.jwksUrl,
): Promise<StageOutcome<readonly string[]>> {
  if (pinned.length > 0) return { value: pinned, status: 'unchanged', summary: `pinned: ${pinned.join(', ')}` };
  const jwksHost = new URL(jwksUri).host;
  const hosts = [{ url: jwksUri, host: jwksHost, role: 'the jwks_uri host' }];
  if (issuer.host !== jwksHost) hosts.push({ url: issuer.discoveryUrl, host: issuer.host, role: 'the discovery host' });
  const probed = await Promise.all(hosts.map(async (host) => ({ ...host, result: await probe(host.url) })));
  const values: string[] = [];
  const parts: string[] = [];
  const warnings: string[] = [];
  for (const { host, role, result } of probed) {
    log.debug({ host, thumbprint: result.thumbprint, trusted: result.trusted }, `probed ${role}`);
    if (!values.includes(result.thumbprint)) values.push(result.thumbprint);
    parts.push(`${result.thumbprint} (last certificate of ${host}${hosts.length > 1 ? `, ${role}` : ''})`);
    if (!result.trusted) {
      warnings.push(
        `The certificate chain of ${host} is not trusted by this machine's CA store ` +
          `(${result.trustError ?? 'untrusted'}); STS will rely on the thumbprint alone.`,
      );
    }
  }
  return { value: values, status: 'unchanged', summary: parts.join('; '), warnings };
}

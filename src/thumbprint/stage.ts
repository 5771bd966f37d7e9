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
 * from the jwks_uri host (the last certificate it presents).
 */
export async function thumbprintStage(
  issuer: Issuer,
  pinned: readonly string[],
  probe: JwksHostProbe,
  log: Logger,
): Promise<StageOutcome<readonly string[]>> {
  if (pinned.length > 0) return { value: pinned, status: 'unchanged', summary: `pinned: ${pinned.join(', ')}` };
  const host = new URL(issuer.jwksUrl).host;
  const result = await probe(issuer.jwksUrl);
  log.debug({ thumbprint: result.thumbprint, trusted: result.trusted }, 'probed jwks_uri host');
  const warnings = result.trusted
    ? []
    : [
        `The certificate chain of ${host} is not trusted by this machine's CA store ` +
          `(${result.trustError ?? 'untrusted'}); STS will rely on the thumbprint alone.`,
      ];
  return {
    value: [result.thumbprint],
    status: 'unchanged',
    summary: `${result.thumbprint} (last certificate of ${host})`,
    warnings,
  };
}

/**
 * Terraform's `external` data source protocol for `irsa-issuer thumbprint`: the query arrives on
 * stdin as a flat JSON object of strings, the result leaves on stdout as one, and a failure is a
 * one-line message on stderr with a non-zero exit (the CLI's part).
 * https://registry.terraform.io/providers/hashicorp/external/latest/docs/data-sources/external
 */
import { ConfigError } from '../errors.js';
import { isJsonObject, parseJson } from '../json.js';
import { targetFromUrl, type ProbeTarget, type ThumbprintProbe } from './probe.js';

export interface TerraformQuery {
  readonly target: ProbeTarget;
  readonly timeoutMs?: number;
}

const queryKeys = ['url', 'host', 'port', 'timeout_ms'] as const;
const example = 'query = { url = "https://HOST/PATH/openid/v1/jwks" }';

/**
 * Terraform drops null query values and sends every other value as a string, so an empty string is
 * the only way a module can leave an optional key unset: it counts as absent.
 */
export function parseTerraformQuery(stdin: string): TerraformQuery {
  const parsed = parseJson(stdin);
  if (parsed === undefined) {
    const got = stdin.trim() === '' ? 'stdin was empty' : `got ${JSON.stringify(stdin.slice(0, 80))}`;
    throw new ConfigError(
      `The Terraform query on stdin is not JSON (${got}); run this from a data "external" block with ${example}.`,
    );
  }
  if (!isJsonObject(parsed)) {
    throw new ConfigError(`The Terraform query must be a JSON object of strings, e.g. ${example}.`);
  }
  const query = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    if (!(queryKeys as readonly string[]).includes(key)) {
      throw new ConfigError(
        `The Terraform query has an unknown key ${JSON.stringify(key)}; the thumbprint data source takes ` +
          `${queryKeys.join(', ')}.`,
      );
    }
    if (typeof value !== 'string') {
      throw new ConfigError(`The Terraform query value of ${key} must be a string, got ${JSON.stringify(value)}.`);
    }
    if (value.trim() !== '') query.set(key, value.trim());
  }

  const url = query.get('url');
  const host = query.get('host');
  const port = query.get('port');
  let target: ProbeTarget;
  if (url !== undefined) {
    if (host !== undefined || port !== undefined) {
      throw new ConfigError(
        `The Terraform query names both url and host/port; give either url, or host with an optional port.`,
      );
    }
    target = targetFromUrl(url);
  } else if (host !== undefined) {
    target = { host, port: port === undefined ? 443 : parseDecimal('port', port, 65_535) };
  } else {
    throw new ConfigError(`The Terraform query names neither url nor host; set ${example}.`);
  }
  const timeout = query.get('timeout_ms');
  return timeout === undefined ? { target } : { target, timeoutMs: parseDecimal('timeout_ms', timeout, 600_000) };
}

function parseDecimal(key: string, value: string, max: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1 || number > max) {
    throw new ConfigError(
      `The Terraform query value ${key} = ${JSON.stringify(value)} is not a whole number from 1 to ${max}.`,
    );
  }
  return number;
}

/**
 * A flat JSON object of strings, with the same keys on every run so a configuration can index any
 * of them: use `[data.external.thumbprint.result.thumbprint]` as the provider's thumbprint_list.
 */
export function renderTerraformResult(probe: ThumbprintProbe): string {
  const last = probe.chain.at(-1);
  const result: Record<string, string> = {
    thumbprint: probe.thumbprint,
    host: probe.host,
    port: String(probe.port),
    trusted: probe.trusted ? 'true' : 'false',
    trust_error: probe.trustError ?? '',
    hostname_matches: probe.hostnameMatches ? 'true' : 'false',
    chain_length: String(probe.chain.length),
    chain_sha1: probe.chain.map((certificate) => certificate.sha1).join(','),
    thumbprint_subject: last?.subject ?? '',
    thumbprint_not_after: last?.notAfter ?? '',
  };
  return JSON.stringify(result);
}

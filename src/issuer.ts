import { ConfigError } from './errors.js';

/**
 * The vocabulary every stage shares: where the two documents live under an issuer, and what IRSA
 * tokens carry. One home each, so a path or an audience is never spelled twice.
 */
export const discoveryPath = '.well-known/openid-configuration';
export const jwksPath = 'openid/v1/jwks';
/**
 * Not a public document: the record of kids whose private half was once published, kept beside the
 * documents so that every later run (any publisher of this target) still refuses to trust them.
 */
export const exposedKidsPath = 'openid/v1/exposed-kids';

/**
 * The most any read of a document takes in (from the API server, a bucket, a web host): a discovery
 * document or a JWKS of 100 keys is a few tens of KiB, so anything near this is not one.
 */
export const maxDocumentBytes = 1024 * 1024;

/** The audience (IAM client ID) IRSA tokens carry and the provider must list. */
export const defaultAudience = 'sts.amazonaws.com';

/** Short enough that a rotated key reaches STS within minutes, long enough to spare the host. */
export const defaultCacheControl = 'max-age=300';

/** IAM's limit on a provider URL, and so on an issuer. */
const maxProviderUrlLength = 255;

/** A public issuer URL that has passed the rules STS and IAM apply to it. */
export interface Issuer {
  /** Exactly the string tokens carry in `iss` and the discovery document names. */
  readonly url: string;
  readonly host: string;
  /** `''` or `/path`; `/path/` only for an issuer taken with its trailing slash (see parseIssuer). */
  readonly path: string;
  /** What IAM calls the provider: `HOST/PATH`, no scheme; the suffix of its ARN. */
  readonly providerName: string;
  readonly discoveryUrl: string;
  readonly jwksUrl: string;
  /** Things that are legal but will hurt later (a port IAM refuses, say). */
  readonly warnings: readonly string[];
}

export interface IssuerRules {
  /**
   * Take an issuer that ends with a slash exactly as tokens carry it (AKS issues
   * `https://REGION.oic.prod-aks.azure.com/TENANT/GUID/`): for checking an issuer that is already
   * public, never for one this tool publishes, which has one spelling everywhere.
   */
  readonly acceptTrailingSlash?: boolean;
}

/** verify and register take an issuer that is already public exactly as tokens carry it, a trailing slash included. */
export const verifyIssuerRules: IssuerRules = { acceptTrailingSlash: true };

const issuerExample = 'https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod';

function issuerError(problem: string): ConfigError {
  return new ConfigError(`${problem} Pass the public issuer as https://HOST[/PATH], e.g. ${issuerExample}.`);
}

/**
 * Validates and describes the public issuer. The string must already be in canonical form: STS
 * compares `iss` byte for byte, so we refuse to silently "fix" case, default ports or dot segments.
 */
export function parseIssuer(raw: string, rules: IssuerRules = {}): Issuer {
  if (raw.trim() === '') throw issuerError('The issuer is empty.');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw issuerError(`The issuer ${JSON.stringify(raw)} is not a URL.`);
  }
  if (url.protocol !== 'https:') {
    const scheme = url.protocol.replace(':', '');
    throw issuerError(`The issuer ${raw} uses ${scheme}://; STS fetches discovery documents over https:// only.`);
  }
  if (url.username || url.password) throw issuerError(`The issuer ${raw} carries user info; OIDC issuers must not.`);
  if (url.search || raw.includes('?'))
    throw issuerError(`The issuer ${raw} has a query string; OIDC issuers must not.`);
  if (url.hash || raw.includes('#')) throw issuerError(`The issuer ${raw} has a fragment; OIDC issuers must not.`);
  const trailingSlash = raw.endsWith('/');
  if (trailingSlash && rules.acceptTrailingSlash !== true) {
    throw new ConfigError(
      `The issuer ${raw} ends with a slash; an issuer this tool publishes has one spelling everywhere ` +
        `(tokens' "iss", ` +
        `the provider URL, condition keys), without it. Use ${raw.replace(/\/+$/, '')}. ` +
        'For an issuer that is already public with a slash (AKS), irsa-issuer verify checks it and irsa-issuer ' +
        'register registers its provider, taking it as tokens carry it.',
    );
  }
  const path = url.pathname === '/' && !trailingSlash ? '' : url.pathname;
  for (const document of [discoveryPath, jwksPath]) {
    if (path.endsWith(`/${document}`)) {
      throw new ConfigError(
        `${raw} is the URL of a document under the issuer, not the issuer itself. ` +
          `Use ${raw.slice(0, -document.length - 1)}.`,
      );
    }
  }
  if (path.includes('//'))
    throw issuerError(`The issuer ${raw} has an empty path segment (//); tokens would never match it.`);
  if (url.hostname.endsWith('.')) {
    throw issuerError(
      `The issuer ${raw} ends its host with a dot; STS and IAM compare the URL as written, without it.`,
    );
  }
  const canonical = `${url.origin}${path}`;
  if (canonical !== raw) {
    throw new ConfigError(
      `The issuer ${raw} is not in canonical form (${canonical}); STS compares it byte for byte with the ` +
        `token's "iss". ` +
        `Use ${canonical}.`,
    );
  }
  // CreateOpenIDConnectProvider: "Url ... Length Constraints: Minimum length of 1. Maximum length of 255."
  if (raw.length > maxProviderUrlLength) {
    throw new ConfigError(
      `The issuer ${raw} is ${raw.length} characters long; IAM accepts OIDC provider URLs of at most ` +
        `${maxProviderUrlLength}. Use a shorter host or path.`,
    );
  }
  const warnings: string[] = [];
  if (url.port) {
    warnings.push(
      `The issuer ${raw} names port ${url.port}: OIDC allows it, but IAM refuses provider URLs with a port ` +
        'and STS fetches on 443 only.',
    );
  }
  // OpenID Connect Discovery §4: a terminating "/" is removed before the well-known path is appended.
  // IAM keeps it in the provider URL, so condition keys read HOST/PATH/:sub.
  const base = trailingSlash ? raw.slice(0, -1) : raw;
  return {
    url: raw,
    host: url.host,
    path,
    providerName: `${url.host}${path}`,
    discoveryUrl: `${base}/${discoveryPath}`,
    jwksUrl: `${base}/${jwksPath}`,
    warnings,
  };
}

/**
 * The kube-apiserver flags that make the cluster sign tokens for the public issuer. The old issuer
 * stays as a second --service-account-issuer so tokens issued before the change keep working.
 * https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/
 */
export function apiServerFlags(issuer: Issuer, clusterIssuer?: string): string[] {
  const flags = [`--service-account-issuer=${issuer.url}`];
  if (clusterIssuer !== undefined && clusterIssuer !== issuer.url)
    flags.push(`--service-account-issuer=${clusterIssuer}`);
  flags.push(`--service-account-jwks-uri=${issuer.jwksUrl}`);
  return flags;
}

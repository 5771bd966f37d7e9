/**
 * The public side, as STS sees it: the discovery document at `<issuer>/.well-known/openid-configuration`,
 * the issuer it names, and the JWKS at its `jwks_uri`, each fetched anonymously with no redirects.
 */
import { privateJwkMembers } from '../documents/index.js';
import { apiServerFlags, type Issuer } from '../issuer.js';
import { isJsonObject } from '../json.js';
import { failed, passed, type Check, type CheckId, type Outcome } from './check.js';
import { PublicFetchError, type PublicFetchOptions, type PublicResponse } from './fetch.js';

export type PublicFetch = (url: string, options: PublicFetchOptions) => Promise<PublicResponse>;

/** What the discovery check hands on: the parsed document. */
export type DiscoveryDocumentJson = Readonly<Record<string, unknown>>;

/** What the jwks check hands on: the JWKS as published, and where from. */
export interface PublishedJwks {
  readonly uri: string;
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

interface Fetched {
  readonly json: Readonly<Record<string, unknown>>;
  readonly summary: string;
  readonly warnings: string[];
}

type FetchResult = { readonly ok: true; readonly value: Fetched } | { readonly ok: false; readonly check: Check };

/** A JSON media type, including the `application/jwk-set+json` kube-apiserver uses for the JWKS. */
const jsonMediaType = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

function describeUnreachable(error: PublicFetchError, what: string): { detail: string; fix: string } {
  const host = new URL(error.url).host;
  const stsToo = 'STS fetches it from the public internet and would fail the same way';
  switch (error.failure) {
    case 'not-https':
      return { detail: error.message, fix: 'Publish the documents over https:// and name an https:// URL; STS fetches over HTTPS on port 443 only.' };
    case 'dns':
      return { detail: `${host} does not resolve (${error.systemCode ?? 'DNS'}); ${stsToo}`, fix: `Create a public DNS record for ${new URL(error.url).hostname}, or correct the URL.` };
    case 'refused':
      return { detail: `the connection to ${host} was refused: nothing serves HTTPS there; ${stsToo}`, fix: `Start (or fix) the web host serving ${error.url}; STS fetches over HTTPS on port 443.` };
    case 'unreachable':
    case 'timeout':
      return {
        detail: `${error.message}; ${stsToo}`,
        fix: `Make ${host} reachable over HTTPS from the internet (firewall, security group, routing), then run verify again. A slow host also fails STS, which gives up after a few seconds.`,
      };
    case 'tls':
      return {
        detail: `the TLS certificate of ${host} was not accepted (${error.systemCode ?? error.message})`,
        fix: /ALTNAME|EXPIRED|NOT_YET_VALID/.test(error.systemCode ?? '')
          ? `Serve a certificate for ${new URL(error.url).hostname} that is currently valid; STS rejects this one too.`
          : `If ${host} uses a private CA, pass its root with --ca-file so this check can read the ${what} (AWS then relies on the provider's thumbprint; see the thumbprint check). Otherwise make the server send its full chain, intermediates included, from a publicly trusted CA.`,
      };
    case 'reset':
      return { detail: `${host} closed the connection (${error.message})`, fix: `Check that ${host} serves HTTPS on that port (openssl s_client -connect ${host}).` };
    case 'too-large':
      return { detail: error.message, fix: `${error.url} does not serve the ${what}; check what the URL points at and publish with irsa-issuer sync.` };
    case 'other':
      return { detail: error.message, fix: `Check that ${error.url} is reachable from the internet and serves the ${what}.` };
  }
}

function describeStatus(response: PublicResponse, url: string, what: string, whenMissing: string): { detail: string; fix: string } {
  const { status } = response;
  if (status >= 300 && status < 400) {
    const to = response.location === undefined ? 'without a Location header' : `to ${response.location}`;
    return {
      detail: `HTTP ${status} redirect ${to}; STS does not follow redirects`,
      fix: `Serve the ${what} at exactly ${url} with HTTP 200. Typical causes: an S3 bucket addressed in the wrong region (use https://BUCKET.s3.REGION.amazonaws.com), or a web server or CDN redirecting to another host or path. If the document really lives ${to}, that URL is the issuer and tokens must carry it in "iss".`,
    };
  }
  if (status === 404) return { detail: `HTTP 404: nothing is published at ${url}`, fix: whenMissing };
  if (status === 401 || status === 403) {
    return {
      detail: `HTTP ${status}: the ${what} is not readable anonymously`,
      fix: `Allow anonymous GET of ${url} (for S3: a bucket policy granting s3:GetObject on the prefix to "*", with Block Public Access allowing it). S3 also answers 403 for a missing object when anonymous users may not list the bucket: check it was published (irsa-issuer sync).`,
    };
  }
  return {
    detail: `HTTP ${status} from ${url}`,
    fix: status >= 500 ? `The host serving ${url} is failing; check it, then verify again.` : `Serve the ${what} at ${url} with HTTP 200.`,
  };
}

async function fetchJson(
  id: CheckId,
  url: string,
  what: string,
  whenMissing: string,
  fetch: PublicFetch,
  options: PublicFetchOptions,
): Promise<FetchResult> {
  let response: PublicResponse;
  try {
    response = await fetch(url, options);
  } catch (error) {
    if (!(error instanceof PublicFetchError)) throw error;
    const { detail, fix } = describeUnreachable(error, what);
    return { ok: false, check: failed(id, detail, fix) };
  }
  if (response.status !== 200) {
    const { detail, fix } = describeStatus(response, url, what, whenMissing);
    return { ok: false, check: failed(id, detail, fix) };
  }
  let json: unknown;
  try {
    json = JSON.parse(response.body.toString('utf8'));
  } catch (error) {
    const start = JSON.stringify(response.body.subarray(0, 40).toString('utf8'));
    return {
      ok: false,
      check: failed(id, `${url} answered 200 but is not JSON (${error instanceof Error ? error.message : String(error)}; it starts ${start})`, `Publish the ${what} there with irsa-issuer sync; something else (an error page, an index.html fallback) is being served.`),
    };
  }
  if (!isJsonObject(json)) {
    return { ok: false, check: failed(id, `${url} is JSON but not an object`, `Publish the ${what} there with irsa-issuer sync.`) };
  }
  const warnings: string[] = [];
  const contentType = response.contentType;
  if (contentType === undefined || !jsonMediaType.test(contentType)) {
    // STS parses the body whatever its Content-Type (S3 objects uploaded as binary/octet-stream work), so this is no failure.
    warnings.push(
      `${url} is served as ${contentType ?? 'no Content-Type at all'}, not application/json: STS reads it anyway, but other OIDC clients may not; irsa-issuer sync uploads with Content-Type application/json.`,
    );
  }
  return { ok: true, value: { json: json, summary: `HTTP 200 from ${url} (${contentType ?? 'no Content-Type'}, ${response.body.length} bytes)`, warnings } };
}

/** 1. The discovery document: public, 200, JSON, not a redirect. */
export async function checkDiscovery(issuer: Issuer, fetch: PublicFetch, options: PublicFetchOptions): Promise<Outcome<DiscoveryDocumentJson>> {
  const result = await fetchJson(
    'discovery',
    issuer.discoveryUrl,
    'discovery document',
    `Publish it: irsa-issuer sync --issuer ${issuer.url} (and check that the target's prefix matches the issuer's path${issuer.path === '' ? ', here none' : `, ${issuer.path.slice(1)}`}).`,
    fetch,
    options,
  );
  if (!result.ok) return { check: result.check };
  return { check: passed('discovery', result.value.summary, result.value.warnings), value: result.value.json };
}

/**
 * 2. STS compares the document's `issuer`, the token's `iss` and the provider URL byte for byte.
 * When the cluster is known, its own issuer (what it puts in `iss`) must be the same string too.
 */
export function checkIssuerClaim(issuer: Issuer, discovery: DiscoveryDocumentJson, clusterIssuer: string | undefined): Check {
  const named = discovery.issuer;
  if (typeof named !== 'string') {
    return failed('issuer', `the discovery document has no "issuer" string`, `Republish it with irsa-issuer sync --issuer ${issuer.url}.`);
  }
  if (named !== issuer.url) {
    const near = named.replace(/\/+$/, '') === issuer.url
      ? ' (it differs only by a trailing slash, which is enough for STS to refuse)'
      : named.toLowerCase() === issuer.url.toLowerCase() ? ' (it differs only in case, which is enough for STS to refuse)' : '';
    return failed(
      'issuer',
      `the document at ${issuer.discoveryUrl} names issuer ${named}, not ${issuer.url}${near}`,
      `If ${issuer.url} is the issuer your tokens carry, republish the document: irsa-issuer sync --issuer ${issuer.url}. If the document is right and --issuer is wrong, run verify with --issuer ${named}.`,
    );
  }
  if (clusterIssuer !== undefined && clusterIssuer !== issuer.url) {
    return failed(
      'issuer',
      `the document names ${issuer.url}, but the cluster signs tokens for issuer ${clusterIssuer}, so their "iss" matches no provider`,
      `Set these kube-apiserver flags (the public issuer first; the old one after it keeps already-issued tokens valid): ${apiServerFlags(issuer, clusterIssuer).join(' ')}`,
    );
  }
  return passed('issuer', `the document names ${issuer.url}${clusterIssuer === undefined ? '' : ', the issuer the cluster signs for'}`);
}


/** The discovery document's `jwks_uri`, when it is one STS would fetch. */
export function jwksUriOf(discovery: DiscoveryDocumentJson): string | undefined {
  const uri = discovery.jwks_uri;
  return typeof uri === 'string' && uri.startsWith('https://') && URL.canParse(uri) ? uri : undefined;
}

/** 3. The JWKS at `jwks_uri`: https, public, 200, JSON with a non-empty `keys` array of public keys. */
export async function checkJwks(
  issuer: Issuer,
  discovery: DiscoveryDocumentJson,
  fetch: PublicFetch,
  options: PublicFetchOptions,
): Promise<Outcome<PublishedJwks>> {
  const named = discovery.jwks_uri;
  const republish = `Republish the discovery document with irsa-issuer sync --issuer ${issuer.url} (it names ${issuer.jwksUrl}).`;
  if (typeof named !== 'string' || named === '') {
    return { check: failed('jwks', 'the discovery document has no "jwks_uri"', republish) };
  }
  const uri = jwksUriOf(discovery);
  if (uri === undefined) {
    return { check: failed('jwks', `the discovery document's jwks_uri ${named} is not an https:// URL; STS fetches keys over HTTPS only`, republish) };
  }
  const result = await fetchJson(
    'jwks',
    uri,
    'JWKS',
    `The discovery document names ${uri} but no key set is there. Publish it with irsa-issuer sync --issuer ${issuer.url} (it writes the JWKS before the discovery document)${uri === issuer.jwksUrl ? '' : `, which also points jwks_uri at ${issuer.jwksUrl}`}.`,
    fetch,
    options,
  );
  if (!result.ok) return { check: result.check };
  const rawKeys = result.value.json.keys;
  if (!Array.isArray(rawKeys)) {
    return { check: failed('jwks', `${uri} is JSON without a "keys" array, so it is no JWKS`, `Publish the key set there with irsa-issuer sync --issuer ${issuer.url}.`) };
  }
  if (rawKeys.length === 0) {
    return { check: failed('jwks', `${uri} lists no keys, so STS rejects every token`, `Publish the cluster's keys: irsa-issuer sync --issuer ${issuer.url}.`) };
  }
  const keys = rawKeys.filter(isJsonObject);
  const leaked = keys.filter((key) => privateJwkMembers.some((member) => member in key));
  if (leaked.length > 0) {
    return {
      check: failed(
        'jwks',
        `${uri} publishes private key material (kid ${leaked.map((key) => String(key.kid)).join(', ')}): anyone can sign tokens STS would accept`,
        'Take the document down now, rotate the service-account signing key (a new --service-account-signing-key-file), then publish the public keys with irsa-issuer sync.',
      ),
    };
  }
  const warnings = [...result.value.warnings];
  if (keys.length < rawKeys.length) warnings.push(`${rawKeys.length - keys.length} entr(ies) of "keys" are not JSON objects and are ignored.`);
  const kids = keys.map((key) => (typeof key.kid === 'string' ? key.kid : '(no kid)'));
  if (uri !== issuer.jwksUrl) warnings.push(`jwks_uri is ${uri}, not ${issuer.jwksUrl}; fine for STS, but the thumbprint is then that host's.`);
  return {
    check: passed('jwks', `${result.value.summary}: ${keys.length} key(s), kid ${kids.join(', ')}`, warnings),
    value: { uri, keys },
  };
}

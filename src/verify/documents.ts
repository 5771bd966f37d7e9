/**
 * The public side, as STS sees it: the discovery document at `<issuer>/.well-known/openid-configuration`,
 * the issuer it names, and the JWKS at its `jwks_uri`, each fetched anonymously with no redirects.
 */
import { privateJwkMembers } from '../documents/index.js';
import { apiServerFlags, discoveryPath, type Issuer } from '../issuer.js';
import { isJsonObject } from '../json.js';
import { failed, passed, type Check, type CheckId, type Outcome } from './check.js';
import { publishWith, syncCommandLine, verifyCommandLine } from './commands.js';
import { PublicFetchError, type PublicFetchOptions, type PublicResponse } from './fetch.js';

export type PublicFetch = (url: string, options: PublicFetchOptions) => Promise<PublicResponse>;

/** What the discovery check hands on: the parsed document. */
export type DiscoveryDocumentJson = Readonly<Record<string, unknown>>;

/** What the jwks check hands on: the JWKS as published, and where from. */
export interface PublishedJwks {
  readonly uri: string;
  readonly keys: readonly Readonly<Record<string, unknown>>[];
  /** The size of the document as served. */
  readonly bytes: number;
}

interface Fetched {
  readonly json: Readonly<Record<string, unknown>>;
  readonly bytes: number;
  readonly summary: string;
  readonly warnings: string[];
}

type FetchResult = { readonly ok: true; readonly value: Fetched } | { readonly ok: false; readonly check: Check };

/** Which document a GET is for, and what a fix says about it. */
interface Wanted {
  readonly id: CheckId;
  readonly url: string;
  /** "discovery document" or "JWKS". */
  readonly what: string;
  /** The fix for a 404. */
  readonly whenMissing: string;
  /** The sentence a redirect's fix ends with: what it would mean if the document really lived there. */
  readonly whenMoved: (location: string) => string;
}

/** A JSON media type, including the `application/jwk-set+json` kube-apiserver uses for the JWKS. */
const jsonMediaType = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

function describeUnreachable(error: PublicFetchError, wanted: Wanted, issuer: Issuer): { detail: string; fix: string } {
  const host = new URL(error.url).host;
  const { what } = wanted;
  const stsToo = 'STS fetches it from the public internet and would fail the same way';
  switch (error.failure) {
    case 'not-https':
      return {
        detail: error.message,
        fix: 'Publish the documents over https:// and name an https:// URL; STS fetches over HTTPS on port 443 only.',
      };
    case 'dns':
      return {
        detail: `${host} does not resolve (${error.systemCode ?? 'DNS'}); ${stsToo}`,
        fix: `Create a public DNS record for ${new URL(error.url).hostname}, or correct the URL.`,
      };
    case 'refused':
      return {
        detail: `the connection to ${host} was refused: nothing serves HTTPS there; ${stsToo}`,
        fix: `Start (or fix) the web host serving ${error.url}; STS fetches over HTTPS on port 443.`,
      };
    case 'unreachable':
    case 'timeout':
      return {
        detail: `${error.message}; ${stsToo}`,
        fix:
          `Make ${host} reachable over HTTPS from the internet (firewall, security group, routing), then run ` +
          `verify again. A slow host also fails STS, which gives up after about 5 seconds.`,
      };
    case 'tls':
      return {
        detail: `the TLS certificate of ${host} was not accepted (${error.systemCode ?? error.message})`,
        fix: /ALTNAME|EXPIRED|NOT_YET_VALID/.test(error.systemCode ?? '')
          ? `Serve a certificate for ${new URL(error.url).hostname} that is currently valid; STS rejects this one too.`
          : `If ${host} uses a private CA, pass its root with --ca-file so this check can read the ${what} (AWS then ` +
            `relies on the provider's thumbprint; see the thumbprint check). Otherwise make the server send its full ` +
            `chain, intermediates included, from a publicly trusted CA.`,
      };
    case 'reset':
      return {
        detail: `${host} closed the connection (${error.message})`,
        fix: `Check that ${host} serves HTTPS on that port (openssl s_client -connect ${host}).`,
      };
    case 'proxy':
      return {
        detail: error.message,
        fix:
          'The proxy between here and the internet failed, not necessarily the host (STS does not go through it): ' +
          `fix what the message names, or exempt ${new URL(error.url).hostname} with NO_PROXY, then verify again.`,
      };
    case 'too-large':
      return {
        detail: error.message,
        fix:
          `A discovery document is a few hundred bytes and a JWKS of 100 RSA and 100 EC keys far below this, so ` +
          `${error.url} serves something else: check what it points at, and publish the ${what} there with ` +
          `${publishWith(issuer)}.`,
      };
    case 'other':
      return {
        detail: error.message,
        fix: `Check that ${error.url} is reachable from the internet and serves the ${what}.`,
      };
  }
}

function describeStatus(response: PublicResponse, wanted: Wanted, issuer: Issuer): { detail: string; fix: string } {
  const { status } = response;
  const { url, what } = wanted;
  if (status >= 300 && status < 400) {
    const location =
      response.location === undefined ? undefined : (URL.parse(response.location, url)?.href ?? response.location);
    return {
      detail:
        `HTTP ${status} redirect ` +
        `${location === undefined ? 'without a Location header' : `to ${response.location ?? location}`}; STS does ` +
        `not follow redirects`,
      fix:
        `Serve the ${what} at exactly ${url} with HTTP 200. Typical causes: an S3 bucket addressed in the wrong ` +
        `region (use https://BUCKET.s3.REGION.amazonaws.com), or a web server or CDN redirecting to another host or ` +
        `path.${location === undefined ? '' : ` ${wanted.whenMoved(location)}`}`,
    };
  }
  if (status === 404) return { detail: `HTTP 404: nothing is published at ${url}`, fix: wanted.whenMissing };
  if (status === 401 || status === 403) {
    return {
      detail: `HTTP ${status}: the ${what} is not readable anonymously`,
      fix:
        `Allow anonymous GET of ${url} (for S3: a bucket policy granting s3:GetObject on the prefix to "*", with ` +
        `Block Public Access allowing it). S3 also answers 403 for a missing object when anonymous users may not ` +
        `list the bucket: check it was published with ${publishWith(issuer)}.`,
    };
  }
  return {
    detail: `HTTP ${status} from ${url}`,
    fix:
      status >= 500
        ? `The host serving ${url} is failing; check it, then verify again.`
        : `Serve the ${what} at ${url} with HTTP 200.`,
  };
}

async function fetchJson(
  issuer: Issuer,
  wanted: Wanted,
  fetch: PublicFetch,
  options: PublicFetchOptions,
): Promise<FetchResult> {
  const { id, url, what } = wanted;
  let response: PublicResponse;
  try {
    response = await fetch(url, options);
  } catch (error) {
    if (!(error instanceof PublicFetchError)) throw error;
    const { detail, fix } = describeUnreachable(error, wanted, issuer);
    return { ok: false, check: failed(id, detail, fix) };
  }
  if (response.status !== 200) {
    const { detail, fix } = describeStatus(response, wanted, issuer);
    return { ok: false, check: failed(id, detail, fix) };
  }
  let json: unknown;
  try {
    json = JSON.parse(response.body.toString('utf8'));
  } catch (error) {
    const start = JSON.stringify(response.body.subarray(0, 40).toString('utf8'));
    return {
      ok: false,
      check: failed(
        id,
        `${url} answered 200 but is not JSON (${error instanceof Error ? error.message : String(error)}; it ` +
          `starts ${start})`,
        `Publish the ${what} there with ${publishWith(issuer)}; something else (an error page, an index.html ` +
          `fallback) is being served.`,
      ),
    };
  }
  if (!isJsonObject(json)) {
    return {
      ok: false,
      check: failed(id, `${url} is JSON but not an object`, `Publish the ${what} there with ${publishWith(issuer)}.`),
    };
  }
  const warnings: string[] = [];
  const contentType = response.contentType;
  if (contentType === undefined || !jsonMediaType.test(contentType)) {
    // STS parses the body whatever its Content-Type (S3 objects uploaded as binary/octet-stream work), so this is no failure.
    warnings.push(
      `${url} is served as ${contentType ?? 'no Content-Type at all'}, not application/json: STS reads it anyway, ` +
        `but other OIDC clients may not; what sync publishes carries Content-Type application/json.`,
    );
  }
  const bytes = response.body.length;
  return {
    ok: true,
    value: {
      json,
      bytes,
      summary: `HTTP 200 from ${url} (${contentType ?? 'no Content-Type'}, ${bytes} bytes)`,
      warnings,
    },
  };
}

/**
 * OIDC Discovery puts the document at ISSUER/.well-known/openid-configuration, so a document that
 * really lives elsewhere belongs to the issuer that URL implies, when it implies one.
 */
function issuerImpliedBy(location: string): string | undefined {
  const suffix = `/${discoveryPath}`;
  return location.startsWith('https://') && location.endsWith(suffix) ? location.slice(0, -suffix.length) : undefined;
}

function whenDiscoveryMoved(location: string): string {
  const implied = issuerImpliedBy(location);
  const command = implied === undefined ? undefined : verifyCommandLine(implied);
  if (implied === undefined || command === undefined) {
    return (
      `If the document really lives at ${location}, it belongs to another issuer than this one: the issuer is ` +
      `the URL its discovery document sits under, and tokens must carry exactly that in "iss".`
    );
  }
  return (
    `If the document really lives at ${location}, the issuer is ${implied}, not this one: tokens must carry ` +
    `that in "iss" (check it with ${command}).`
  );
}

/** For an issuer sync can publish: the target's prefix must match the issuer's path. */
function prefixHint(issuer: Issuer, prefix: string): string {
  if (syncCommandLine(issuer) === undefined) return '';
  return ` (and check that the target's prefix matches the issuer's path${prefix === '' ? ', here none' : `, ${prefix}`})`;
}

/** For an issuer sync can publish: sync's write order, and where it points jwks_uri. */
function jwksOrderHint(issuer: Issuer, uri: string): string {
  if (syncCommandLine(issuer) === undefined) return '';
  const moved = uri === issuer.jwksUrl ? '' : `, and points jwks_uri at ${issuer.jwksUrl}`;
  return ` (sync writes the JWKS before the discovery document${moved})`;
}

/** 1. The discovery document: public, 200, JSON, not a redirect. */
export async function checkDiscovery(
  issuer: Issuer,
  fetch: PublicFetch,
  options: PublicFetchOptions,
): Promise<Outcome<DiscoveryDocumentJson>> {
  const prefix = issuer.path.replace(/^\/|\/$/g, '');
  const result = await fetchJson(
    issuer,
    {
      id: 'discovery',
      url: issuer.discoveryUrl,
      what: 'discovery document',
      whenMissing: `Publish it with ${publishWith(issuer)}${prefixHint(issuer, prefix)}.`,
      whenMoved: whenDiscoveryMoved,
    },
    fetch,
    options,
  );
  if (!result.ok) return { check: result.check };
  return { check: passed('discovery', result.value.summary, result.value.warnings), value: result.value.json };
}

/** The fix for a document that names another issuer than the one verified. */
function otherIssuerFix(issuer: Issuer, named: string): string {
  const republish = issuer.url.endsWith('/')
    ? `If tokens carry ${issuer.url}, the document must name exactly that: have it corrected where it is served ` +
      `(irsa-issuer never publishes an issuer with a trailing slash).`
    : `If ${issuer.url} is the issuer your tokens carry, republish the document with ${publishWith(issuer)}.`;
  const command = verifyCommandLine(named);
  const recheck =
    command === undefined
      ? 'If the document is right, it names no issuer STS could use: an issuer is https://HOST[/PATH] with no query ' +
        'or fragment.'
      : `If the document is right and tokens carry ${named}, check that issuer instead: ${command}.`;
  return `${republish} ${recheck}`;
}

/**
 * 2. STS compares the document's `issuer`, the token's `iss` and the provider URL byte for byte,
 * a trailing slash included. When the cluster is known, its own issuer (what it puts in `iss`)
 * must be the same string too.
 */
export function checkIssuerClaim(
  issuer: Issuer,
  discovery: DiscoveryDocumentJson,
  clusterIssuer: string | undefined,
): Check {
  const named = discovery.issuer;
  if (typeof named !== 'string') {
    return failed(
      'issuer',
      `the discovery document has no "issuer" string`,
      `Republish it with ${publishWith(issuer)}.`,
    );
  }
  if (named !== issuer.url) {
    const near =
      named.replace(/\/$/, '') === issuer.url.replace(/\/$/, '')
        ? ' (it differs only by a trailing slash, which is enough for STS to refuse)'
        : named.toLowerCase() === issuer.url.toLowerCase()
          ? ' (it differs only in case, which is enough for STS to refuse)'
          : '';
    return failed(
      'issuer',
      `the document at ${issuer.discoveryUrl} names issuer ${named}, not ${issuer.url}${near}`,
      otherIssuerFix(issuer, named),
    );
  }
  if (clusterIssuer !== undefined && clusterIssuer !== issuer.url) {
    return failed(
      'issuer',
      `the document names ${issuer.url}, but the cluster signs tokens for issuer ${clusterIssuer}, so their "iss" ` +
        `matches no provider`,
      `Set these kube-apiserver flags (the public issuer first; the old one after it keeps already-issued tokens ` +
        `valid): ${apiServerFlags(issuer, clusterIssuer).join(' ')}`,
    );
  }
  return passed(
    'issuer',
    `the document names ${issuer.url}${clusterIssuer === undefined ? '' : ', the issuer the cluster signs for'}`,
  );
}

/** The discovery document's `jwks_uri`, when it is one STS would fetch. */
export function jwksUriOf(discovery: DiscoveryDocumentJson): string | undefined {
  const uri = discovery.jwks_uri;
  return typeof uri === 'string' && uri.startsWith('https://') && URL.canParse(uri) ? uri : undefined;
}

/** The jwks check's result; `leaked`: the kids published with private members, when that is why it failed. */
export interface JwksOutcome extends Outcome<PublishedJwks> {
  readonly leaked?: readonly string[];
}

/** 3. The JWKS at `jwks_uri`: https, public, 200, JSON with a non-empty `keys` array of public keys. */
export async function checkJwks(
  issuer: Issuer,
  discovery: DiscoveryDocumentJson,
  fetch: PublicFetch,
  options: PublicFetchOptions,
): Promise<JwksOutcome> {
  const named = discovery.jwks_uri;
  const republish = `Republish the discovery document (it should name ${issuer.jwksUrl}) with ${publishWith(issuer)}.`;
  if (typeof named !== 'string' || named === '') {
    return { check: failed('jwks', 'the discovery document has no "jwks_uri"', republish) };
  }
  const uri = jwksUriOf(discovery);
  if (uri === undefined) {
    return {
      check: failed(
        'jwks',
        `the discovery document's jwks_uri ${named} is not an https:// URL; STS fetches keys over HTTPS only`,
        republish,
      ),
    };
  }
  const result = await fetchJson(
    issuer,
    {
      id: 'jwks',
      url: uri,
      what: 'JWKS',
      whenMissing:
        `The discovery document names ${uri} but no key set is there. Publish it with ` +
        `${publishWith(issuer)}${jwksOrderHint(issuer, uri)}.`,
      whenMoved: (location) =>
        `If the key set really lives at ${location}, the discovery document must name that URL as its jwks_uri.`,
    },
    fetch,
    options,
  );
  if (!result.ok) return { check: result.check };
  const rawKeys = result.value.json.keys;
  if (!Array.isArray(rawKeys)) {
    return {
      check: failed(
        'jwks',
        `${uri} is JSON without a "keys" array, so it is no JWKS`,
        `Publish the key set there with ${publishWith(issuer)}.`,
      ),
    };
  }
  if (rawKeys.length === 0) {
    return {
      check: failed(
        'jwks',
        `${uri} lists no keys, so STS rejects every token`,
        `Publish the cluster's keys with ${publishWith(issuer)}.`,
      ),
    };
  }
  const keys = rawKeys.filter(isJsonObject);
  const leaked = keys.filter((key) => privateJwkMembers.some((member) => member in key));
  if (leaked.length > 0) {
    return {
      leaked: leaked.map((key) => String(key.kid)),
      check: failed(
        'jwks',
        `${uri} publishes private key material (kid ${leaked.map((key) => String(key.kid)).join(', ')}): anyone can ` +
          `sign tokens STS would accept`,
        `Take the document down now, rotate the service-account signing key (a new ` +
          `--service-account-signing-key-file), then publish the public keys with ${publishWith(issuer)}.`,
      ),
    };
  }
  const warnings = [...result.value.warnings];
  if (keys.length < rawKeys.length)
    warnings.push(`${rawKeys.length - keys.length} entr(ies) of "keys" are not JSON objects and are ignored.`);
  const kids = keys.map((key) => (typeof key.kid === 'string' ? key.kid : '(no kid)'));
  if (uri !== issuer.jwksUrl)
    warnings.push(`jwks_uri is ${uri}, not ${issuer.jwksUrl}; fine for STS, but the thumbprint is then that host's.`);
  return {
    check: passed('jwks', `${result.value.summary}: ${keys.length} key(s), kid ${kids.join(', ')}`, warnings),
    value: { uri, keys, bytes: result.value.bytes },
  };
}

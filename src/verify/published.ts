/**
 * What the published documents say, checked as STS and a strict OIDC client (jose, PyJWT,
 * openid-client) read them: the discovery document's required members, the JWKS within STS's
 * limits, and every key one that verifies tokens. Fetching them is documents.ts's part.
 */
import { algorithmForKey, signingKeyProblem, stsKeysPerType, supportedKeyTypes } from '../documents/index.js';
import type { Issuer } from '../issuer.js';
import { failed, passed, type Check } from './check.js';
import { publishWith, syncCommandLine } from './commands.js';
import type { DiscoveryDocumentJson, PublishedJwks } from './documents.js';

type Jwk = Readonly<Record<string, unknown>>;

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

function describeKey(key: Jwk, index: number): string {
  return typeof key.kid === 'string' && key.kid !== '' ? `kid ${key.kid}` : `key ${index + 1}`;
}

/** The algorithm a key verifies: its own `alg`, or the one its type implies when it names none. */
function algorithmOf(key: Jwk): string | undefined {
  return typeof key.alg === 'string' ? key.alg : algorithmForKey(key.kty, key.crv);
}

/**
 * 4. The members OpenID Connect Discovery 1.0 §3 requires, beside `issuer` and `jwks_uri` (checked
 * on their own lines). `authorization_endpoint` is left out: kube-apiserver never serves it, and
 * neither STS nor a token verifier reads it.
 */
export function checkMetadata(
  issuer: Issuer,
  discovery: DiscoveryDocumentJson,
  published: PublishedJwks | undefined,
): Check {
  const problems: string[] = [];
  const responseTypes = stringList(discovery.response_types_supported);
  if (responseTypes === undefined) problems.push('no "response_types_supported" list');
  else if (!responseTypes.includes('id_token'))
    problems.push(`"response_types_supported" ${JSON.stringify(responseTypes)} without "id_token"`);
  const subjectTypes = stringList(discovery.subject_types_supported);
  if (subjectTypes === undefined || subjectTypes.length === 0) problems.push('no "subject_types_supported" list');
  const algorithms = stringList(discovery.id_token_signing_alg_values_supported);
  if (algorithms === undefined || algorithms.length === 0)
    problems.push('no "id_token_signing_alg_values_supported" list');
  else if (published !== undefined) {
    const unlisted = published.keys.flatMap((key, index) => {
      const alg = algorithmOf(key);
      return alg !== undefined && !algorithms.includes(alg) ? [`${describeKey(key, index)} signs with ${alg}`] : [];
    });
    if (unlisted.length > 0) {
      problems.push(
        `"id_token_signing_alg_values_supported" ${JSON.stringify(algorithms)}, which misses what the keys sign with ` +
          `(${unlisted.join('; ')}), so clients refuse those tokens`,
      );
    }
  }
  if (problems.length > 0) {
    return failed(
      'metadata',
      `the discovery document has ${problems.join('; ')}`,
      `Republish it with ${publishWith(issuer)}: it must carry every member kube-apiserver serves and list each ` +
        `key's algorithm.`,
    );
  }
  const compared =
    published === undefined
      ? ' (not compared with the keys: the JWKS could not be read)'
      : ", covering every key's algorithm";
  return passed(
    'metadata',
    `response_types_supported ${(responseTypes ?? []).join(', ')}; subject_types_supported ` +
      `${(subjectTypes ?? []).join(', ')}; id_token_signing_alg_values_supported ` +
      `${(algorithms ?? []).join(', ')}${compared}`,
  );
}

/**
 * 5. STS reads at most 100 RSA and 100 EC keys of a JWKS; the size limit is verify's own fetch
 * limit (a larger document already failed the jwks check).
 */
export function checkLimits(issuer: Issuer, published: PublishedJwks, maxBytes: number): Check {
  const count = (kty: string) => published.keys.filter((key) => key.kty === kty).length;
  const rsa = count('RSA');
  const ec = count('EC');
  const found = `${published.uri} lists ${rsa} RSA and ${ec} EC key(s) in ${published.bytes} bytes`;
  const over = [
    ...(rsa > stsKeysPerType ? [`${rsa} RSA keys`] : []),
    ...(ec > stsKeysPerType ? [`${ec} EC keys`] : []),
  ];
  if (over.length > 0) {
    return failed(
      'limits',
      `${found}: STS reads at most ${stsKeysPerType} RSA and ${stsKeysPerType} EC keys of a JWKS, not ` +
        `${over.join(' and ')}, so tokens signed by the keys past the limit are refused`,
      `Remove retired keys (ones that no longer sign, whose tokens have expired) from the API server's ` +
        `--service-account-key-file, then publish again with ${publishWith(issuer)}.`,
    );
  }
  return passed(
    'limits',
    `${found}: within STS's ${stsKeysPerType} RSA and ${stsKeysPerType} EC keys, and the ${maxBytes} bytes ` +
      `verify reads`,
  );
}

/**
 * 6. STS and strict clients pick a token's key by kid and then use it only if its `use`, `kty`,
 * `crv` and `alg` fit the token's algorithm: a key with another `use` or a wrong `alg` looks
 * published and verifies nothing.
 */
export function checkSigning(issuer: Issuer, published: PublishedJwks): Check {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [index, key] of published.keys.entries()) {
    const name = describeKey(key, index);
    if (typeof key.kid !== 'string' || key.kid === '')
      problems.push(`${name} has no "kid": STS finds a token's key by its kid`);
    else if (seen.has(key.kid))
      problems.push(`${name} is listed more than once: clients cannot tell which key a token means`);
    else seen.add(key.kid);
    const problem = signingKeyProblem(key);
    if (problem !== undefined) problems.push(`${name} ${problem}`);
  }
  if (problems.length > 0) {
    return failed(
      'signing',
      problems.join('; '),
      `Publish each key as kube-apiserver serves it, once, with "use" "sig" and the algorithm its type signs with ` +
        `(${supportedKeyTypes}): republish with ` +
        `${publishWith(issuer)}.` +
        (syncCommandLine(issuer) === undefined
          ? ''
          : ' sync publishes exactly that, and refuses (exit 3) a cluster key STS would not accept.'),
    );
  }
  const algorithms = [...new Set(published.keys.map((key) => algorithmOf(key)))].sort().join(', ');
  return passed(
    'signing',
    `all ${published.keys.length} key(s) are signing keys ("use" "sig" or none), each with the algorithm its type ` +
      `signs with (${algorithms})`,
  );
}

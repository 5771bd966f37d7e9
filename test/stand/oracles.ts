/**
 * Verifiers that share no code with the product, for tests that must not agree with it by
 * construction: the product reads keys and checks tokens with jose, so these use openssl, Node's
 * own crypto and Python's PyJWT.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** kube-apiserver's kid of a public key, the way a person would compute it with openssl. */
export async function opensslKeyId(publicKey: KeyObject): Promise<string> {
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const pipeline =
    'openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d "=\\n"';
  const child = run('bash', ['-o', 'pipefail', '-c', pipeline]);
  child.child.stdin?.end(pem);
  const { stdout } = await child;
  return stdout;
}

/** JWS algorithm -> Node's digest and signature encoding (RFC 7518 §3.3, §3.4); signing is web-identity.ts's. */
const jwsAlgorithms: Readonly<Record<string, { readonly hash: string; readonly ec: boolean }>> = {
  RS256: { hash: 'sha256', ec: false },
  ES256: { hash: 'sha256', ec: true },
  ES384: { hash: 'sha384', ec: true },
  ES512: { hash: 'sha512', ec: true },
};

function algorithm(alg: string): { readonly hash: string; readonly ec: boolean } {
  const found = jwsAlgorithms[alg];
  if (found === undefined) throw new Error(`no JWS algorithm ${alg} in the test's table`);
  return found;
}

/** Verifies a compact JWS with the JWK named by its kid, with Node's crypto: true when the signature holds. */
export function nodeVerifies(
  token: string,
  jwks: { readonly keys: readonly Readonly<Record<string, unknown>>[] },
): boolean {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const { alg, kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg: string; kid: string };
  const jwk = jwks.keys.find((key) => key.kid === kid);
  if (jwk === undefined) return false;
  const { hash, ec } = algorithm(alg);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return verify(
    hash,
    Buffer.from(`${header}.${payload}`),
    ec ? { key, dsaEncoding: 'ieee-p1363' } : key,
    Buffer.from(signature, 'base64url'),
  );
}

/**
 * The Python that has PyJWT with its crypto backend: `python3` first, then the system one (a
 * pyenv `python3` may lack packages that Debian's python3-jwt installed for /usr/bin/python3).
 */
function pyjwtPython(): string {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import jwt, jwt.algorithms; assert jwt.algorithms.has_crypto'], {
      stdio: 'ignore',
    });
    if (probe.status === 0) return candidate;
  }
  throw new Error(
    'These tests verify tokens with PyJWT too: install it (pip install "pyjwt[crypto]", or apt-get install python3-jwt).',
  );
}

const pyjwtScript = `
import json, sys, jwt

def verdict(token, jwks, audience, issuer):
    header = jwt.get_unverified_header(token)
    keys = [k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == header["kid"]]
    if len(keys) != 1:
        return {"error": "PyJWT finds %d keys for kid %s" % (len(keys), header["kid"])}
    # The algorithm the JWK allows (PyJWT < 2.8 keeps it only in the JWK data), never the token's own claim.
    allowed = getattr(keys[0], "algorithm_name", None) or keys[0]._jwk_data.get("alg")
    if not allowed:
        return {"error": "the JWK for kid %s names no alg" % header["kid"]}
    try:
        claims = jwt.decode(token, keys[0].key, algorithms=[allowed], audience=audience, issuer=issuer)
    except jwt.PyJWTError as error:
        return {"error": "%s: %s" % (type(error).__name__, error)}
    return {"alg": header["alg"], "kid": header["kid"], "sub": claims["sub"]}

request = json.load(sys.stdin)
print(json.dumps([verdict(token, request["jwks"], request["audience"], request["issuer"]) for token in request["tokens"]]))
`;

/** What PyJWT made of one token: what it verified, or why it refused. */
export type PyJwtVerdict =
  { readonly alg: string; readonly kid: string; readonly sub: string } | { readonly error: string };

/**
 * PyJWT's verdicts on tokens against a JWKS, the way a Python OIDC client reads one: it picks the
 * key by kid, takes the algorithm from the JWK, and checks signature, iss and aud. One Python
 * process for all the tokens.
 */
export async function pyjwtVerdicts(
  tokens: readonly string[],
  jwks: object,
  expected: { issuer: string; audience: string },
): Promise<PyJwtVerdict[]> {
  const child = run(pyjwtPython(), ['-c', pyjwtScript]);
  child.child.stdin?.end(JSON.stringify({ tokens, jwks, ...expected }));
  const { stdout } = await child;
  return JSON.parse(stdout) as PyJwtVerdict[];
}

/** The oracle: what `openssl s_client -connect 127.0.0.1:PORT -showcerts </dev/null` prints, as SHA-1s in order. */
export async function opensslShowcerts(port: number): Promise<string[]> {
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-showcerts'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => {
      resolve();
    });
  });
  const pems = stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return pems.map((pem) => new X509Certificate(pem).fingerprint.replaceAll(':', '').toLowerCase());
}

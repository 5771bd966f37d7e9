/**
 * Every key kube-apiserver signs with (RSA, EC P-256, P-384, P-521), alone and mixed, as the API
 * server serves them and as PEM files give them: the documents built from them are checked by
 * verifiers that share no code with the product (openssl for the kid, Node's crypto and PyJWT
 * for a token signed with the private key), and key sets STS would refuse are refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pemFileReader } from '../../src/cluster/pem.js';
import { buildDocuments, type BuiltDocuments } from '../../src/documents/build.js';
import { buildJwks } from '../../src/documents/jwks.js';
import { InvalidKeyError } from '../../src/errors.js';
import { parseIssuer } from '../../src/issuer.js';
import { generateSigningKey, kubernetesJwk, type SigningKey, type SigningKeyType } from '../stand/apiserver-keys.js';
import { nodeVerifies, opensslKeyId, pyjwtVerdicts } from '../stand/oracles.js';
import { signToken } from '../stand/web-identity.js';

const issuer = parseIssuer('https://oidc.example.com/clusters/prod');
const audience = 'sts.amazonaws.com';

function tokenFor(key: SigningKey): string {
  const now = Math.floor(Date.now() / 1000);
  return signToken(
    key.privateKey,
    { alg: key.alg, kid: key.kid },
    {
      aud: [audience],
      exp: now + 600,
      iat: now,
      iss: issuer.url,
      nbf: now,
      sub: 'system:serviceaccount:team-a:app',
    },
  );
}

async function keysOf(...types: SigningKeyType[]): Promise<SigningKey[]> {
  return Promise.all(types.map((type) => generateSigningKey(type)));
}

/** Built as sync builds them, from what the API server serves. */
function fromApiServer(keys: readonly SigningKey[]): Promise<BuiltDocuments> {
  return buildDocuments(
    issuer,
    { issuer: issuer.url, keys: keys.map(kubernetesJwk), source: 'API server' },
    { allowIssuerMismatch: false },
  );
}

/** Built as sync builds them, from PEM public key files (one key per file). */
async function fromPemFiles(keys: readonly SigningKey[]): Promise<BuiltDocuments> {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-signing-keys-'));
  try {
    const files = await Promise.all(
      keys.map(async (key, index) => {
        const file = join(dir, `sa-${index}.pub`);
        await writeFile(file, key.publicKey.export({ type: 'spki', format: 'pem' }));
        return file;
      }),
    );
    return await buildDocuments(issuer, await pemFileReader(files).read(), { allowIssuerMismatch: false });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sets: [string, SigningKeyType[], string[]][] = [
  ['an EC P-384 key', ['ec-p384'], ['ES384']],
  ['an EC P-521 key', ['ec-p521'], ['ES512']],
  ['P-384 and P-521 keys together', ['ec-p521', 'ec-p384'], ['ES384', 'ES512']],
  [
    'every kind at once, two of one kind',
    ['rsa', 'ec-p521', 'ec', 'ec-p384', 'ec-p521'],
    ['ES256', 'ES384', 'ES512', 'RS256'],
  ],
];

describe.each([
  ['from the API server', fromApiServer],
  ['from PEM files', fromPemFiles],
])('published %s', (_, build) => {
  it.each(sets)(
    "%s: each key with kube-apiserver's kid, its curve and algorithm; each algorithm listed once, sorted",
    async (_name, types, algorithms) => {
      const keys = await keysOf(...types);
      const built = await build(keys);
      expect(built.discovery.id_token_signing_alg_values_supported).toEqual(algorithms);
      for (const key of keys) {
        const published = built.jwks.keys.find((candidate) => candidate.kid === key.kid);
        const jwk = key.publicKey.export({ format: 'jwk' });
        expect(published).toEqual({ ...jwk, kid: key.kid, use: 'sig', alg: key.alg });
        expect(published?.kid).toBe(await opensslKeyId(key.publicKey));
      }
    },
  );

  it.each(sets)(
    "%s: a token signed with each private key verifies against the published JWKS, by Node's crypto and by PyJWT",
    async (_name, types) => {
      const keys = await keysOf(...types);
      const built = await build(keys);
      const jwks = JSON.parse(new TextDecoder().decode(built.jwksBytes)) as { keys: Record<string, unknown>[] };
      const tokens = keys.map(tokenFor);
      expect(tokens.map((token) => nodeVerifies(token, jwks))).toEqual(keys.map(() => true));
      expect(await pyjwtVerdicts(tokens, jwks, { issuer: issuer.url, audience })).toEqual(
        keys.map((key) => ({ alg: key.alg, kid: key.kid, sub: 'system:serviceaccount:team-a:app' })),
      );
    },
  );
});

describe('the oracles can say no', () => {
  it('a token signed by a key that is not published verifies with neither', async () => {
    const [published, other] = await keysOf('ec-p384', 'ec-p384');
    if (published === undefined || other === undefined) throw new Error('no keys');
    const built = await fromApiServer([published]);
    const jwks = { keys: built.jwks.keys.map((key) => ({ ...key })) };
    // The unpublished key's signature under the published key's kid.
    const forged = signToken(
      other.privateKey,
      { alg: 'ES384', kid: published.kid },
      { aud: [audience], exp: Math.floor(Date.now() / 1000) + 600, iss: issuer.url, sub: 'x' },
    );
    expect(nodeVerifies(forged, jwks)).toBe(false);
    expect(await pyjwtVerdicts([forged], jwks, { issuer: issuer.url, audience })).toEqual([
      { error: 'InvalidSignatureError: Signature verification failed' },
    ]);
  });
});

describe('key sets STS would refuse are refused, exit 3, saying which key and why', () => {
  /** One RSA key under many kids: STS counts keys, and the API server's kids are kept as served. */
  function copies(key: Record<string, string>, count: number): Record<string, string>[] {
    return Array.from({ length: count }, (_, index) => ({ ...key, kid: `${key.kid ?? ''}-${String(index)}` }));
  }

  it("takes 100 RSA and 100 EC keys, STS's limit", async () => {
    const [rsa, ec] = await keysOf('rsa', 'ec-p521');
    if (rsa === undefined || ec === undefined) throw new Error('no keys');
    const { jwks } = await buildJwks(
      [...copies(kubernetesJwk(rsa), 100), ...copies(kubernetesJwk(ec), 100)],
      'API server',
    );
    expect(jwks.keys).toHaveLength(200);
  });

  it.each([
    ['RSA', 'rsa'],
    ['EC', 'ec-p384'],
  ] as const)('refuses 101 %s keys', async (kty, type) => {
    const [key] = await keysOf(type);
    if (key === undefined) throw new Error('no key');
    const promise = buildJwks(copies(kubernetesJwk(key), 101), 'API server https://10.0.0.1:6443');
    await expect(promise).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(promise).rejects.toThrow(
      new RegExp(
        `API server https://10\\.0\\.0\\.1:6443 has 101 ${kty} keys; STS reads at most 100 RSA and 100 EC keys .*Nothing was written`,
      ),
    );
  });

  it.each([
    ['secp256k1', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' })],
    ['Ed25519', generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })],
  ])('refuses a %s key the API server serves, naming its kid', async (curve, jwk) => {
    const promise = buildJwks([{ ...jwk, kid: 'odd-key' }], 'API server');
    await expect(promise).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(promise).rejects.toThrow(
      new RegExp(`^key 1 \\(kid odd-key\\) (is an EC key on curve|has key type "OKP" \\(curve) "${curve}"`),
    );
  });
});

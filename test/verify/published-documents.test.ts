/**
 * irsa-issuer verify against documents a web host really serves (the federation stand's TLS host,
 * on a generated chain), a cluster that signs with EC P-521 and P-384 keys (the kube-apiserver
 * stand), moto for IAM and the STS stand-in for STS: each thing STS and strict OIDC clients check
 * of the published documents is its own ✓ or ✗ line, with the exit code a script sees and fixes
 * whose command lines irsa-issuer accepts. Where verify says ✗, the STS stand-in (and where it says
 * ✓, PyJWT and Node's crypto) is asked too, so verify is held to what the independent checkers say.
 */
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { discoveryPath, jwksPath, parseIssuer, type Issuer, verifyIssuerRules } from '../../src/issuer.js';
import { discoveryJson, generateSigningKey, keysetJson, type SigningKey } from '../stand/apiserver-keys.js';
import { federationPrefix, federationRoleArn, startFederation, type Federation } from '../stand/federation.js';
import { dummyCredentials } from '../stand/iam.js';
import { nodeVerifies, pyjwtVerdicts } from '../stand/oracles.js';
import { startSts, type StsStand } from '../stand/sts.js';
import { requestToken } from '../stand/web-identity.js';
import { cli, type CliResult } from '../cli/cli.js';
import { commandVerdicts } from './fix-commands.js';

const teamA = { namespace: 'team-a', name: 'app' };
const jwtPattern = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

let federation: Federation;
let issuer: Issuer;
let sts: StsStand;
let exchange: STSClient;
let p521: SigningKey;
let p384: SigningKey;
let rsa: SigningKey;

interface Printed {
  readonly code: number;
  /** Each check's line, by check id. */
  readonly lines: Readonly<Record<string, string>>;
  /** Each failed check's fix, by check id. */
  readonly fixes: Readonly<Record<string, string>>;
  readonly result: CliResult;
}

/** What verify printed, line by line, as a person reads it. */
function read(result: CliResult): Printed {
  const lines: Record<string, string> = {};
  const fixes: Record<string, string> = {};
  let current: string | undefined;
  for (const line of result.stdout.split('\n')) {
    const check = /^[✓✗-] (\S+) /.exec(line);
    if (check?.[1] !== undefined) {
      current = check[1];
      lines[current] = line;
    } else if (current !== undefined && line.startsWith('    fix: ')) {
      fixes[current] = line.slice('    fix: '.length);
    }
  }
  return { code: result.code, lines, fixes, result };
}

async function verify(url: string, roleArn = federationRoleArn): Promise<Printed> {
  const result = await cli([
    'verify',
    '--issuer',
    url,
    '--kubeconfig',
    federation.stand.kubeconfigPath,
    '--context',
    'reader',
    '--ca-file',
    federation.chain.root.certPath,
    '--timeout',
    '3',
    '--service-account',
    'team-a/app',
    '--role-arn',
    roleArn,
  ]);
  expect(result.stdout + result.stderr).not.toMatch(jwtPattern);
  return read(result);
}

/** Every command line the printed fixes suggest is one irsa-issuer accepts. */
async function expectFixesParse(printed: Printed): Promise<void> {
  const verdicts = await commandVerdicts(Object.values(printed.fixes));
  expect(verdicts.filter((verdict) => verdict.error !== undefined)).toEqual([]);
}

const statusLine = (printed: Printed) => Object.values(printed.lines).map((line) => line.slice(0, 12).trim());

type Jwk = Record<string, unknown>;

async function editJson<T>(path: string, change: (document: T) => T): Promise<void> {
  const file = federation.published(path);
  await writeFile(file, JSON.stringify(change(JSON.parse(await readFile(file, 'utf8')) as T)));
}

const editJwks = (change: (keys: Jwk[]) => Jwk[]) =>
  editJson<{ keys: Jwk[] }>(jwksPath, (jwks) => ({ keys: change(jwks.keys) }));
const editDiscovery = (change: (document: Jwk) => Jwk) => editJson<Jwk>(discoveryPath, change);

/** Asks the STS stand-in directly, with a token the cluster just minted. */
async function stsAnswer(): Promise<string> {
  const token = await requestToken(federation.stand, teamA);
  return exchange
    .send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: federationRoleArn,
        RoleSessionName: 'check',
        WebIdentityToken: token,
      }),
    )
    .then(
      (answer) => `accepted: ${answer.AssumedRoleUser?.Arn ?? ''}`,
      (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`,
    );
}

beforeAll(async () => {
  federation = await startFederation();
  issuer = federation.issuer;
  sts = await startSts({ iamEndpoint: federation.moto.endpoint, ca: federation.chain.root.certPem });
  exchange = new STSClient({
    region: 'us-east-1',
    endpoint: sts.endpoint,
    credentials: dummyCredentials,
    maxAttempts: 1,
  });
  [p521, p384, rsa] = await Promise.all([
    generateSigningKey('ec-p521'),
    generateSigningKey('ec-p384'),
    generateSigningKey('rsa'),
  ]);
  process.env.AWS_ACCESS_KEY_ID = dummyCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = dummyCredentials.secretAccessKey;
  process.env.AWS_ENDPOINT_URL_IAM = federation.moto.endpoint;
  process.env.AWS_ENDPOINT_URL_STS = sts.endpoint;
});

afterAll(async () => {
  exchange.destroy();
  await sts.stop();
  await federation.stop();
});

/**
 * A cluster that signs with `signing` and also serves the other keys, published by the real sync
 * to a prefix it starts afresh (so sync's key-replacement guard has nothing to compare with).
 */
async function clusterSigningWith(signing: SigningKey): Promise<void> {
  federation.stand.setKeys([signing, ...[p521, p384, rsa].filter((key) => key !== signing)]);
  await rm(join(federation.root, federationPrefix), { recursive: true, force: true });
  await federation.publish();
}

beforeEach(async () => {
  sts.reset();
  await federation.reset();
  await clusterSigningWith(p521);
  await federation.createProvider();
});

describe('a cluster signing with EC P-384 and P-521 keys, published by sync', () => {
  it.each([
    ['P-521', 'ES512', () => p521],
    ['P-384', 'ES384', () => p384],
  ])(
    "signing with %s: all twelve ✓, STS exchanges the %s token, and PyJWT and Node's crypto verify it too",
    async (_, alg, signing) => {
      await clusterSigningWith(signing());
      const printed = await verify(issuer.url);
      expect(printed.code).toBe(0);
      expect(statusLine(printed)).toEqual([
        '✓ discovery',
        '✓ issuer',
        '✓ jwks',
        '✓ metadata',
        '✓ limits',
        '✓ signing',
        '✓ keys',
        '✓ provider',
        '✓ thumbprint',
        '✓ audience',
        '✓ token',
        '✓ sts',
      ]);
      expect(printed.lines.metadata).toContain(
        "id_token_signing_alg_values_supported ES384, ES512, RS256, covering every key's algorithm",
      );
      expect(printed.lines.token).toContain(`(kid ${signing().kid}, ${alg}, aud sts.amazonaws.com)`);
      expect(printed.lines.sts).toContain(
        'assumed arn:aws:sts::123456789012:assumed-role/team-a-app/irsa-issuer-verify',
      );

      const token = await requestToken(federation.stand, teamA);
      const jwks = JSON.parse(await readFile(federation.published(jwksPath), 'utf8')) as { keys: Jwk[] };
      expect(nodeVerifies(token, jwks)).toBe(true);
      expect(await pyjwtVerdicts([token], jwks, { issuer: issuer.url, audience: 'sts.amazonaws.com' })).toEqual([
        { alg, kid: signing().kid, sub: 'system:serviceaccount:team-a:app' },
      ]);
    },
  );
});

describe('what STS and strict clients refuse in the published documents: a ✗ line each, exit 4', () => {
  it('a key published with "use" "enc": ✗ signing and ✗ token, and STS refuses the token too', async () => {
    await editJwks((keys) => keys.map((key) => (key.kid === p521.kid ? { ...key, use: 'enc' } : key)));
    const printed = await verify(issuer.url);
    expect(printed.code).toBe(4);
    expect(printed.lines.signing).toBe(
      `✗ signing    every published key is a signing key STS accepts: kid ${p521.kid} has "use" "enc": STS and strict clients verify tokens only with a key whose "use" is "sig" (or absent)`,
    );
    expect(printed.lines.token).toMatch(
      new RegExp(`^✗ token .*names kid ${p521.kid}, which .* publishes, but that key has "use" "enc"`),
    );
    expect(printed.lines.sts).toMatch(/^- sts .*did not verify/);
    expect(printed.fixes.signing).toMatch(/"use" "sig" .*irsa-issuer sync --issuer /);
    expect(await stsAnswer()).toMatch(/^InvalidIdentityToken/);
    await expectFixesParse(printed);
  });

  it('the signing key published with another alg: ✗ signing, ✗ token, and STS refuses the token too', async () => {
    await editJwks((keys) => keys.map((key) => (key.kid === p521.kid ? { ...key, alg: 'ES256' } : key)));
    const printed = await verify(issuer.url);
    expect(printed.code).toBe(4);
    expect(printed.lines.signing).toContain(
      `kid ${p521.kid} is an EC P-521 key with "alg" "ES256", but kube-apiserver signs with an EC P-521 key using ES512`,
    );
    expect(printed.lines.token).toContain(
      `names kid ${p521.kid}, which ${issuer.jwksUrl} publishes, but that key is an EC P-521 key with "alg" "ES256"`,
    );
    expect(await stsAnswer()).toMatch(/^InvalidIdentityToken/);
    await expectFixesParse(printed);
  });

  it('an RSA key published as RS384, as the issue found: ✗ signing and ✗ metadata, though the token (P-521) still verifies', async () => {
    await editJwks((keys) => keys.map((key) => (key.kid === rsa.kid ? { ...key, alg: 'RS384' } : key)));
    const printed = await verify(issuer.url);
    expect(printed.code).toBe(4);
    expect(printed.lines.signing).toContain(
      `kid ${rsa.kid} is an RSA key with "alg" "RS384", but kube-apiserver signs with an RSA key using RS256`,
    );
    expect(printed.lines.metadata).toContain(`which misses what the keys sign with (kid ${rsa.kid} signs with RS384)`);
    expect(printed.lines.token).toMatch(/^✓ token/);
    await expectFixesParse(printed);
  });

  it('101 more RSA keys: ✗ limits; STS cannot retrieve the verification key, and the fix says what STS needs', async () => {
    await editJwks((keys) => [
      ...keys,
      ...Array.from({ length: 101 }, (_, index) => ({
        ...keys.find((key) => key.kid === rsa.kid),
        kid: `retired-${String(index)}`,
      })),
    ]);
    const printed = await verify(issuer.url);
    expect(printed.code).toBe(4);
    expect(printed.lines.limits).toMatch(
      new RegExp(
        `^✗ limits +JWKS is within STS's limits: ${issuer.jwksUrl} lists 102 RSA and 2 EC key\\(s\\) in \\d+ bytes: STS reads at most 100 RSA and 100 EC keys of a JWKS, not 102 RSA keys`,
      ),
    );
    expect(printed.lines.token).toMatch(/^✓ token/);
    expect(printed.lines.sts).toContain(
      "InvalidIdentityTokenException: Couldn't retrieve verification key from your identity provider",
    );
    expect(printed.fixes.sts).toContain(
      `STS could not read ${issuer.discoveryUrl} or the JWKS it names anonymously over HTTPS (port 443, within about 5 seconds, without following a redirect), or that JWKS lacks the token's kid ${p521.kid}.`,
    );
    expect(printed.fixes.limits).toContain('--service-account-key-file');
    await expectFixesParse(printed);
  });

  it('a discovery document with only issuer and jwks_uri: ✗ metadata, naming each missing member', async () => {
    await editDiscovery((document) => ({ issuer: document.issuer, jwks_uri: document.jwks_uri }));
    const printed = await verify(issuer.url);
    expect(printed.code).toBe(4);
    expect(printed.lines.metadata).toBe(
      '✗ metadata   discovery document has the members clients require: the discovery document has no "response_types_supported" list; no "subject_types_supported" list; no "id_token_signing_alg_values_supported" list',
    );
    expect(statusLine(printed).filter((line) => line.startsWith('✗'))).toEqual(['✗ metadata']);
    await expectFixesParse(printed);
  });

  it("an alg list that misses the keys' algorithms: ✗ metadata, naming the keys", async () => {
    await editDiscovery((document) => ({ ...document, id_token_signing_alg_values_supported: ['RS256'] }));
    const printed = await verify(issuer.url);
    expect(printed.code).toBe(4);
    // sync publishes the keys sorted by kid, and the line names them in that order.
    const missing = [p384, p521]
      .sort((a, b) => (a.kid < b.kid ? -1 : 1))
      .map((key) => `kid ${key.kid} signs with ${key.alg}`)
      .join('; ');
    expect(printed.lines.metadata).toContain(
      `"id_token_signing_alg_values_supported" ["RS256"], which misses what the keys sign with (${missing}), so clients refuse those tokens`,
    );
    expect(printed.fixes.metadata).toBe(
      `Republish it with irsa-issuer sync --issuer ${issuer.url}: it must carry every member kube-apiserver serves and list each key's algorithm.`,
    );
    await expectFixesParse(printed);
  });
});

describe('an issuer with a trailing slash, as AKS publishes one', () => {
  const prefix = 'tenant-1/cluster-1';
  let aks: Issuer;
  const aksRoleArn = 'arn:aws:iam::123456789012:role/aks-app';

  /** The documents kube-apiserver would serve for `named`, where the AKS-style issuer's host serves them. */
  async function serveAksDocuments(named: string): Promise<void> {
    const files = {
      [discoveryPath]: discoveryJson(named, aks.jwksUrl, federation.stand.keys),
      [jwksPath]: keysetJson(federation.stand.keys),
    };
    for (const [path, body] of Object.entries(files)) {
      const file = join(federation.root, prefix, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, body);
    }
  }

  beforeEach(async () => {
    aks = parseIssuer(`${federation.host.url}/${prefix}/`, verifyIssuerRules);
    federation.stand.setIssuer(aks.url);
    await federation.iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: aks.url,
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: [federation.chain.intermediate.sha1],
      }),
    );
    await federation.iam.send(
      new CreateRoleCommand({
        RoleName: 'aks-app',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${aks.providerName}` },
              Action: 'sts:AssumeRoleWithWebIdentity',
              // IAM keeps the slash in the provider URL, so the condition keys are HOST/PATH/:sub.
              Condition: { StringEquals: { [`${aks.providerName}:sub`]: 'system:serviceaccount:team-a:app' } },
            },
          ],
        }),
      }),
    );
  });

  afterAll(async () => {
    await rm(join(federation.root, prefix.split('/')[0] ?? prefix), { recursive: true, force: true });
  });

  it('used consistently (tokens, documents, provider): all twelve ✓, and STS exchanges the token', async () => {
    await serveAksDocuments(aks.url);
    const printed = await verify(aks.url, aksRoleArn);
    expect(printed.result.stderr).toBe('');
    expect(printed.code).toBe(0);
    expect(statusLine(printed).every((line) => line.startsWith('✓'))).toBe(true);
    expect(Object.keys(printed.lines)).toHaveLength(12);
    expect(printed.lines.issuer).toBe(
      `✓ issuer     issuer matches: the document names ${aks.url}, the issuer the cluster signs for`,
    );
    expect(printed.lines.provider).toContain(`arn:aws:iam::123456789012:oidc-provider/${aks.providerName} `);
    expect(printed.lines.sts).toContain('assumed arn:aws:sts::123456789012:assumed-role/aks-app/irsa-issuer-verify');
  });

  it('--issuer with the slash, the document without: ✗ issuer, and the fix checks the other spelling, suggesting no sync', async () => {
    const withoutSlash = aks.url.slice(0, -1);
    await serveAksDocuments(withoutSlash);
    const printed = await verify(aks.url, aksRoleArn);
    expect(printed.code).toBe(4);
    expect(printed.lines.issuer).toBe(
      `✗ issuer     issuer matches: the document at ${aks.discoveryUrl} names issuer ${withoutSlash}, not ${aks.url} (it differs only by a trailing slash, which is enough for STS to refuse)`,
    );
    expect(printed.fixes.issuer).toContain(`irsa-issuer verify --issuer ${withoutSlash}.`);
    expect(Object.values(printed.fixes).join('\n')).not.toContain('irsa-issuer sync');
    await expectFixesParse(printed);
  });

  it("--issuer without the slash, the document with it: ✗ issuer, and both spellings' commands are ones irsa-issuer takes", async () => {
    const withoutSlash = aks.url.slice(0, -1);
    await serveAksDocuments(aks.url);
    const printed = await verify(withoutSlash, aksRoleArn);
    expect(printed.code).toBe(4);
    expect(printed.lines.issuer).toContain(
      `names issuer ${aks.url}, not ${withoutSlash} (it differs only by a trailing slash`,
    );
    expect(printed.fixes.issuer).toBe(
      `If ${withoutSlash} is the issuer your tokens carry, republish the document with irsa-issuer sync --issuer ${withoutSlash}. ` +
        `If the document is right and tokens carry ${aks.url}, check that issuer instead: irsa-issuer verify --issuer ${aks.url}.`,
    );
    await expectFixesParse(printed);
  });
});

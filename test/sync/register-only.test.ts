/**
 * Register-only (`irsa-issuer register`, `sync --no-publish`) against real parts: issuers whose
 * documents a local HTTPS host already serves, on generated chains (as GKE, AKS or any platform
 * serves its own), and moto for IAM. Thumbprints are held to `openssl s_client -showcerts`, which
 * shares no code with the probe.
 */
import {
  GetOpenIDConnectProviderCommand,
  ListOpenIDConnectProvidersCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RunFailedError } from '../../src/errors.js';
import { parseIssuer, type Issuer, verifyIssuerRules } from '../../src/issuer.js';
import { registerOnly, registerOnlyTarget, type RegisterOnlyRequest } from '../../src/sync.js';
import { thumbprintFromUrl } from '../../src/thumbprint/probe.js';
import { discoveryJson, generateSigningKey, kubernetesJwk, type SigningKey } from '../stand/apiserver-keys.js';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { motoIamClient, recordCommands, writeCommands } from '../stand/iam.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { opensslShowcerts } from '../stand/oracles.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';

const silent = pino({ level: 'silent' });
const account = '123456789012';

let moto: MotoServer;
let iam: IAMClient;
let iamCommands: string[];
let chainA: CertificateChain;
let chainB: CertificateChain;
/** What each host serves, from its root. */
let rootA: string;
let rootB: string;
let hostA: TlsHost;
let hostB: TlsHost;
let key: SigningKey;
/** Both test roots: the CAs this machine would not trust, as --ca-file gives them. */
let ca: string;

/** Serves an issuer's documents on host A (discovery) and `jwksHost` (JWKS), as its platform would. */
async function serve(
  issuerUrl: string,
  options: {
    readonly jwksHost?: 'A' | 'B';
    readonly jwksUri?: string;
    readonly namedIssuer?: string;
    readonly jwks?: object;
  } = {},
): Promise<Issuer> {
  const issuer = parseIssuer(issuerUrl, verifyIssuerRules);
  const onB = options.jwksHost === 'B';
  const jwksUri = options.jwksUri ?? (onB ? `${hostB.url}${issuer.path.replace(/\/$/, '')}/keys` : issuer.jwksUrl);
  const discoveryFile = join(rootA, new URL(issuer.discoveryUrl).pathname);
  const jwksFile = join(onB ? rootB : rootA, new URL(jwksUri).pathname);
  for (const file of [discoveryFile, jwksFile]) await mkdir(dirname(file), { recursive: true });
  await writeFile(discoveryFile, discoveryJson(options.namedIssuer ?? issuer.url, jwksUri, [key]));
  await writeFile(jwksFile, JSON.stringify(options.jwks ?? { keys: [kubernetesJwk(key)] }));
  return issuer;
}

function request(issuer: Issuer, overrides: Partial<RegisterOnlyRequest> = {}): RegisterOnlyRequest {
  return {
    issuer,
    audiences: ['sts.amazonaws.com'],
    dryRun: false,
    ca,
    stageTimeoutMs: 10_000,
    register: {
      pinnedThumbprints: [],
      tags: { cluster: 'public' },
      pruneAudiences: false,
      pruneThumbprints: false,
      provider: iam,
      probe: (url) => thumbprintFromUrl(url),
    },
    ...overrides,
  };
}

const providerArn = (issuer: Issuer) => `arn:aws:iam::${account}:oidc-provider/${issuer.providerName}`;
const provider = (issuer: Issuer) =>
  iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn(issuer) }));
const providerArns = async () =>
  ((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).map(
    (entry) => entry.Arn,
  );
const steps = (report: { steps: readonly { stage: string; status: string }[] }) =>
  report.steps.map((step) => `${step.stage}:${step.status}`);

/** Runs a register-only run that must be refused; returns the error. */
async function refused(issuer: Issuer): Promise<RunFailedError> {
  const error: unknown = await registerOnly(request(issuer), silent).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RunFailedError);
  return error as RunFailedError;
}

beforeAll(async () => {
  [moto, chainA, chainB, key] = await Promise.all([
    startMoto(),
    createCertificateChain(),
    createCertificateChain(),
    generateSigningKey('rsa'),
  ]);
  rootA = await mkdtemp(join(tmpdir(), 'irsa-register-a-'));
  rootB = await mkdtemp(join(tmpdir(), 'irsa-register-b-'));
  // Each host presents leaf + intermediate, as a public web host does; the roots stay out of the handshake.
  hostA = await startTlsHost({
    directory: rootA,
    certificate: chainA.leaf,
    presentedChain: [chainA.intermediate.certPem],
  });
  hostB = await startTlsHost({
    directory: rootB,
    certificate: chainB.leaf,
    presentedChain: [chainB.intermediate.certPem],
  });
  ca = `${chainA.root.certPem.trim()}\n${chainB.root.certPem.trim()}\n`;
});

afterAll(async () => {
  await Promise.all([hostA.stop(), hostB.stop(), moto.stop()]);
  await Promise.all(
    [rootA, rootB, chainA.directory, chainB.directory].map((path) => rm(path, { recursive: true, force: true })),
  );
});

beforeEach(async () => {
  await resetMoto(moto);
  // Each test serves only what it writes: the hosts keep serving the (emptied) directories.
  for (const root of [rootA, rootB]) {
    await rm(root, { recursive: true, force: true });
    await mkdir(root);
  }
  iam = await motoIamClient(moto);
  iamCommands = recordCommands(iam);
});

describe('register-only for an issuer that serves its own documents', () => {
  it('registers a path-carrying issuer (GKE-shaped) with the thumbprint openssl sees last', async () => {
    const issuer = await serve(`${hostA.url}/v1/projects/p/locations/europe-west1/clusters/c`);
    const report = await registerOnly(request(issuer), silent);

    const oracle = (await opensslShowcerts(hostA.port)).at(-1);
    expect(oracle).toBe(chainA.intermediate.sha1);
    const registered = await provider(issuer);
    expect(registered.ThumbprintList).toEqual([oracle]);
    expect(registered.ClientIDList).toEqual(['sts.amazonaws.com']);
    expect(registered.Tags).toEqual([{ Key: 'cluster', Value: 'public' }]);
    expect(report.command).toBe('register');
    expect(report.target).toBe(registerOnlyTarget);
    expect(report.kids).toEqual([key.kid]);
    expect(steps(report)).toEqual([
      'read:unchanged',
      'build:skipped',
      'publish:skipped',
      'thumbprint:unchanged',
      'register:changed',
    ]);
  });

  it('a second run writes nothing', async () => {
    const issuer = await serve(`${hostA.url}/clusters/c`);
    await registerOnly(request(issuer), silent);
    iamCommands.length = 0;
    const report = await registerOnly(request(issuer), silent);
    expect(report.changed).toBe(false);
    expect(iamCommands.length).toBeGreaterThan(0);
    expect(writeCommands(iamCommands)).toEqual([]);
  });

  it('a dry run plans the provider and writes nothing', async () => {
    const issuer = await serve(`${hostA.url}/clusters/c`);
    const report = await registerOnly(request(issuer, { dryRun: true }), silent);
    const register = report.steps.find((step) => step.stage === 'register');
    expect(register?.status).toBe('planned');
    expect(register?.changes.join('\n')).toContain(`create provider ${issuer.url}`);
    expect(writeCommands(iamCommands)).toEqual([]);
    expect(await providerArns()).toEqual([]);
  });

  it('gives the provider both thumbprints when jwks_uri is on another host, the jwks_uri host first', async () => {
    const issuer = await serve(`${hostA.url}/clusters/two-hosts`, { jwksHost: 'B' });
    const report = await registerOnly(request(issuer), silent);
    const [jwksHostLast, discoveryHostLast] = [
      (await opensslShowcerts(hostB.port)).at(-1),
      (await opensslShowcerts(hostA.port)).at(-1),
    ];
    expect([jwksHostLast, discoveryHostLast]).toEqual([chainB.intermediate.sha1, chainA.intermediate.sha1]);
    expect((await provider(issuer)).ThumbprintList).toEqual([jwksHostLast, discoveryHostLast]);
    const thumbprint = report.steps.find((step) => step.stage === 'thumbprint');
    expect(thumbprint?.summary).toContain(`${chainB.intermediate.sha1} (last certificate of 127.0.0.1:${hostB.port}`);
    expect(report.kids).toEqual([key.kid]);
  });

  it('with verify, checks the provider it just registered as STS would', async () => {
    const issuer = await serve(`${hostA.url}/clusters/c`);
    const report = await registerOnly(request(issuer, { verify: true }), silent);
    const checks = Object.fromEntries(report.verification?.checks.map((check) => [check.id, check.status]) ?? []);
    expect(report.verification?.ok).toBe(true);
    expect(checks).toMatchObject({ issuer: 'passed', jwks: 'passed', provider: 'passed', thumbprint: 'passed' });
    // No cluster is read: its keys cannot be compared.
    expect(checks.keys).toBe('skipped');
    expect(steps(report).at(-1)).toBe('verify:unchanged');
  });

  it('one host serving both documents needs its thumbprint once', async () => {
    // The issuer's own host, another path for the keys: still one host, so one thumbprint.
    const issuer = await serve(`${hostA.url}/clusters/c`, { jwksUri: `${hostA.url}/keys/c.json` });
    await registerOnly(request(issuer), silent);
    expect((await provider(issuer)).ThumbprintList).toEqual([chainA.intermediate.sha1]);
  });
});

describe('an issuer with a trailing slash (AKS)', () => {
  it('is registered exactly as tokens carry it: the slash stays in the provider URL and ARN', async () => {
    const issuer = await serve(`${hostA.url}/tenant-id/cluster-guid/`);
    expect(issuer.discoveryUrl).toBe(`${hostA.url}/tenant-id/cluster-guid/.well-known/openid-configuration`);
    const report = await registerOnly(request(issuer), silent);
    expect(report.issuer).toBe(`${hostA.url}/tenant-id/cluster-guid/`);

    // AWS's documented behaviour, which this shape follows: the provider URL is the token's "iss" (STS
    // compares them exactly), and the ARN and condition keys are HOST/PATH as written, slash included
    // (docs/public-issuers.md). moto's part: it keeps the URL as given (minus the scheme) in the
    // ARN and in GetOpenIDConnectProvider's Url, as IAM does.
    const arn = `arn:aws:iam::${account}:oidc-provider/127.0.0.1:${hostA.port}/tenant-id/cluster-guid/`;
    expect(await providerArns()).toEqual([arn]);
    const registered = await provider(issuer);
    expect(registered.Url).toBe(`127.0.0.1:${hostA.port}/tenant-id/cluster-guid/`);
    expect(registered.ThumbprintList).toEqual([chainA.intermediate.sha1]);

    // The next run finds that provider by its exact name, and changes nothing.
    iamCommands.length = 0;
    const again = await registerOnly(request(issuer), silent);
    expect(again.changed).toBe(false);
    expect(writeCommands(iamCommands)).toEqual([]);
  });

  it('is refused without its slash, because the document names the issuer with it (exit 4)', async () => {
    await serve(`${hostA.url}/tenant-id/cluster-guid/`);
    const withoutSlash = parseIssuer(`${hostA.url}/tenant-id/cluster-guid`, verifyIssuerRules);
    const error = await refused(withoutSlash);
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(/differs only by a trailing slash/);
    expect(iamCommands).toEqual([]);
  });
});

describe('documents that fail the checks of verify are refused, and nothing is registered', () => {
  it.each([
    ['an issuer the document does not name', { namedIssuer: 'https://someone-else.example.com/c' }, /names issuer/],
    ['an http:// jwks_uri', { jwksUri: 'http://127.0.0.1:9/keys' }, /not an https:\/\/ URL/],
    ['a JWKS that is not reachable', { jwksUri: 'https://127.0.0.1:9/keys' }, /✗ jwks: the connection/],
  ])('%s: exit 4, before any IAM call', async (_, options, message) => {
    const issuer = await serve(`${hostA.url}/clusters/bad`, options);
    const error = await refused(issuer);
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/no IAM OIDC provider was created or changed/);
    expect(error.report.failure?.stage).toBe('read');
    expect(iamCommands).toEqual([]);
  });

  it('a JWKS with private key members: exit 3 (a guard), before any IAM call', async () => {
    const leaked = { ...kubernetesJwk(key), ...key.privateKey.export({ format: 'jwk' }) };
    const issuer = await serve(`${hostA.url}/clusters/leaky`, { jwks: { keys: [leaked] } });
    const error = await refused(issuer);
    expect(error.exitCode).toBe(3);
    expect(error.code).toBe('ERR_PRIVATE_KEY_MATERIAL');
    expect(error.message).toContain(`kid ${key.kid}`);
    expect(iamCommands).toEqual([]);
    expect(await providerArns()).toEqual([]);
  });

  it('a missing discovery document: exit 4', async () => {
    const error = await refused(parseIssuer(`${hostA.url}/clusters/nothing-here`, verifyIssuerRules));
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(/HTTP 404/);
    expect(iamCommands).toEqual([]);
  });
});

describe('issuer rules for issuers that are already public', () => {
  it("take GKE's issuer, a path on a host serving many issuers, as published or as tokens carry it", () => {
    const gke = 'https://container.googleapis.com/v1/projects/my-project/locations/europe-west1/clusters/prod';
    for (const issuer of [parseIssuer(gke), parseIssuer(gke, verifyIssuerRules)]) {
      expect(issuer.warnings).toEqual([]);
      expect(issuer.providerName).toBe(
        'container.googleapis.com/v1/projects/my-project/locations/europe-west1/clusters/prod',
      );
      expect(issuer.discoveryUrl).toBe(`${gke}/.well-known/openid-configuration`);
    }
  });
});

/**
 * `irsa-issuer register` and `irsa-issuer sync --no-publish` on the command line, as a platform
 * engineer runs them for an issuer that already serves its own documents: a local HTTPS host on a
 * generated chain serves them, moto is IAM, and every other AWS endpoint (S3 above all) is a sink
 * that records what reaches it, so "no S3 request" is observed, not assumed. The CLI builds its own
 * AWS clients from the SDK's environment, as in production.
 */
import { ListOpenIDConnectProvidersCommand, type IAMClient } from '@aws-sdk/client-iam';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseIssuer, type Issuer, verifyIssuerRules } from '../../src/issuer.js';
import type { RunReport } from '../../src/report.js';
import { discoveryJson, generateSigningKey, kubernetesJwk, type SigningKey } from '../stand/apiserver-keys.js';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { dummyCredentials, motoIamClient } from '../stand/iam.js';
import { resetMoto, startMoto, type MotoServer } from '../stand/moto.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';
import { cli } from './cli.js';

let moto: MotoServer;
let iam: IAMClient;
let chain: CertificateChain;
let root: string;
let host: TlsHost;
let key: SigningKey;
let sink: Server;
/** Every request that reached an AWS endpoint other than IAM: `METHOD PATH`. */
const sunk: string[] = [];
const saved = { ...process.env };

async function serve(issuerUrl: string, document: { namedIssuer?: string; jwks?: object } = {}): Promise<Issuer> {
  const issuer = parseIssuer(issuerUrl, verifyIssuerRules);
  const files: [string, string][] = [
    [new URL(issuer.discoveryUrl).pathname, discoveryJson(document.namedIssuer ?? issuer.url, issuer.jwksUrl, [key])],
    [new URL(issuer.jwksUrl).pathname, JSON.stringify(document.jwks ?? { keys: [kubernetesJwk(key)] })],
  ];
  for (const [path, body] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), body);
  }
  return issuer;
}

/** The common flags: the test chain's root to fetch with, a short timeout. */
const flags = (...extra: string[]) => ['--ca-file', chain.root.certPath, '--timeout', '10', ...extra];

async function providerArns(): Promise<(string | undefined)[]> {
  const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
  return (listed.OpenIDConnectProviderList ?? []).map((entry) => entry.Arn);
}

beforeAll(async () => {
  [moto, chain, key] = await Promise.all([startMoto(), createCertificateChain(), generateSigningKey('ec')]);
  root = await mkdtemp(join(tmpdir(), 'irsa-register-cli-'));
  host = await startTlsHost({ directory: root, certificate: chain.leaf, presentedChain: [chain.intermediate.certPem] });
  sink = createServer((request, response) => {
    sunk.push(`${request.method ?? '?'} ${request.url ?? '?'}`);
    response.writeHead(403, { 'content-type': 'application/xml' });
    response.end('<Error><Code>AccessDenied</Code><Message>the test sink</Message></Error>');
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  process.env.AWS_ACCESS_KEY_ID = dummyCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = dummyCredentials.secretAccessKey;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ENDPOINT_URL_IAM = moto.endpoint;
  // Any other AWS client the CLI might build (S3 above all) lands in the sink.
  process.env.AWS_ENDPOINT_URL = sinkUrl;
  process.env.AWS_ENDPOINT_URL_S3 = sinkUrl;
});

afterAll(async () => {
  process.env = { ...saved };
  await new Promise<void>((resolve) => {
    sink.close(() => {
      resolve();
    });
  });
  await Promise.all([host.stop(), moto.stop()]);
  await Promise.all([root, chain.directory].map((path) => rm(path, { recursive: true, force: true })));
});

beforeEach(async () => {
  await resetMoto(moto);
  iam = await motoIamClient(moto);
  sunk.length = 0;
});

describe('irsa-issuer register', () => {
  it('registers the provider, prints the report, and sends nothing to S3', async () => {
    const issuer = await serve(`${host.url}/v1/projects/p/locations/l/clusters/c`);
    const result = await cli(['register', '--issuer', issuer.url, ...flags('--tag', 'cluster=gke')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Register for issuer ${issuer.url}`);
    expect(result.stdout).toMatch(/^- publish +register-only: nothing is published/m);
    expect(result.stdout).toContain(
      `~ register   1 change(s) to arn:aws:iam::123456789012:oidc-provider/${issuer.providerName}`,
    );
    expect(result.stdout).toContain(chain.intermediate.sha1);
    expect(await providerArns()).toEqual([`arn:aws:iam::123456789012:oidc-provider/${issuer.providerName}`]);
    expect(sunk).toEqual([]);

    const again = await cli(['register', '--issuer', issuer.url, ...flags('--tag', 'cluster=gke', '--output', 'json')]);
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as RunReport;
    expect(report.command).toBe('register');
    expect(report.changed).toBe(false);
    expect(report.kids).toEqual([key.kid]);
    expect(sunk).toEqual([]);
  });

  it('--dry-run prints the plan and creates nothing', async () => {
    const issuer = await serve(`${host.url}/tenant/guid/`);
    const result = await cli(['register', '--issuer', issuer.url, ...flags('--dry-run')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Plan for issuer ${issuer.url}`);
    expect(result.stdout).toContain(`create provider ${issuer.url}`);
    expect(await providerArns()).toEqual([]);
  });

  it('refuses documents that fail verify with exit 4 and a private key with exit 3, registering nothing', async () => {
    const mismatch = await serve(`${host.url}/clusters/mismatch`, { namedIssuer: 'https://elsewhere.example.com/c' });
    const refused = await cli(['register', '--issuer', mismatch.url, ...flags()]);
    expect(refused.code).toBe(4);
    expect(refused.stdout).toMatch(/^✗ read /m);
    expect(refused.stderr).toMatch(/names issuer https:\/\/elsewhere\.example\.com\/c/);

    const leaked = { ...kubernetesJwk(key), d: String(key.privateKey.export({ format: 'jwk' }).d) };
    const leaky = await serve(`${host.url}/clusters/leaky`, { jwks: { keys: [leaked] } });
    const guarded = await cli(['register', '--issuer', leaky.url, ...flags()]);
    expect(guarded.code).toBe(3);
    expect(guarded.stderr).toMatch(/private key material/);
    expect(guarded.stdout + guarded.stderr).not.toContain(leaked.d);

    expect(await providerArns()).toEqual([]);
    expect(sunk).toEqual([]);
  });

  it('--help teaches the trailing slash and gives examples', async () => {
    const help = await cli(['register', '--help']);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('with a trailing slash only if they carry one (AKS)');
    expect(text).toContain('irsa-issuer register --issuer https://container.googleapis.com/');
    expect(text).toContain('HOST/PATH/:sub');
    expect(text).toContain('(env: IRSA_ISSUER_THUMBPRINT)');
  });
});

describe('irsa-issuer sync --no-publish', () => {
  it('is register: the same provider, the same report, nothing sent to S3', async () => {
    const issuer = await serve(`${host.url}/tenant/guid/`);
    const first = await cli(['sync', '--no-publish', '--issuer', issuer.url, ...flags('--output', 'json')]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect((JSON.parse(first.stdout) as RunReport).command).toBe('register');
    expect(await providerArns()).toEqual([`arn:aws:iam::123456789012:oidc-provider/${issuer.providerName}`]);

    // The same thing through `register`, and through the environment variable: nothing left to change.
    const second = await cli(['register', '--issuer', issuer.url, ...flags('--output', 'json')]);
    expect((JSON.parse(second.stdout) as RunReport).changed).toBe(false);
    const third = await cli(['sync', '--issuer', issuer.url, ...flags('--output', 'json')], {
      IRSA_ISSUER_NO_PUBLISH: 'true',
    });
    expect(third.code).toBe(0);
    expect((JSON.parse(third.stdout) as RunReport).changed).toBe(false);
    expect(sunk).toEqual([]);
  });

  it('the sink does see S3 traffic: a publishing sync reaches it (so the checks above can fail)', async () => {
    const pem = join(root, 'key.pem');
    await writeFile(pem, key.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const result = await cli([
      'sync',
      '--issuer',
      'https://acme-oidc.s3.us-east-1.amazonaws.com/clusters/prod',
      '--public-key-file',
      pem,
      '--no-register',
      '--timeout',
      '10',
    ]);
    expect(result.code).toBe(1);
    expect(sunk.length).toBeGreaterThan(0);
  });

  it.each([
    [['--target', 'file:///tmp/x'], /--target would be ignored/],
    [['--public-key-file', '/tmp/key.pem'], /--public-key-file would be ignored/],
    [['--no-register'], /leaves nothing to do/],
  ])('refuses flags it would ignore: %j, exit 2', async (extra, message) => {
    const result = await cli(['sync', '--no-publish', '--issuer', `${host.url}/clusters/c`, ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(sunk).toEqual([]);
  });
});

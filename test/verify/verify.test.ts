/**
 * verify against real parts: the issuer documents published by the real sync to a directory that a
 * TLS host serves over a generated root -> intermediate -> leaf chain, the kube-apiserver stand for
 * keys and TokenRequest, moto_server for IAM, and the STS stand-in (which checks the token the way
 * STS does, against those documents and moto's IAM) for STS.
 */
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import { createServer, type Server } from 'node:https';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readIssuerMetadata } from '../../src/cluster/api-server.js';
import { loadKubeConfig, type ApiServerConnection } from '../../src/cluster/kubeconfig.js';
import { pemFileReader } from '../../src/cluster/pem.js';
import { discoveryPath, jwksPath, parseIssuer, type Issuer } from '../../src/issuer.js';
import type { Check, CheckId } from '../../src/verify/check.js';
import { renderVerifyReport } from '../../src/cli/report.js';
import { createAnonymousStsClient } from '../../src/verify/sts.js';
import { tokenMinterFor } from '../../src/verify/token.js';
import {
  verificationFailure,
  verifyIssuer,
  type VerifyDependencies,
  type VerifyOptions,
  type VerifyReport,
} from '../../src/verify/verify.js';
import { generateSigningKey } from '../stand/apiserver-keys.js';
import type { ApiServerStand } from '../stand/apiserver.js';
import type { CertificateChain } from '../stand/certs.js';
import { freePort, resetMoto, type MotoServer } from '../stand/moto.js';
import { federationPrefix, federationRoleArn, startFederation, type Federation } from '../stand/federation.js';
import { startSts, type StsStand } from '../stand/sts.js';
import { syncOptions } from '../stand/sync-options.js';
import { startTlsHost } from '../stand/tls-host.js';
import { FileStore } from '../../src/publish/file.js';
import { sync } from '../../src/sync.js';

const prefix = federationPrefix;
const roleArn = federationRoleArn;
const serviceAccount = { namespace: 'team-a', name: 'app' };
const silent = pino({ level: 'silent' });
const jwtPattern = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

let chain: CertificateChain;
let root: string;
let issuer: Issuer;
let stand: ApiServerStand;
let connection: ApiServerConnection;
let moto: MotoServer;
let iam: IAMClient;
let sts: STSClient;
let stsStand: StsStand;

let federation: Federation;
const published = (path: string) => federation.published(path);
const createProvider = (overrides?: { thumbprints?: string[]; clientIds?: string[] }) =>
  federation.createProvider(overrides);

/** Overrides where `undefined` means "leave it out". */
type Overrides<T> = { [K in keyof T]?: T[K] | undefined };

function withoutUndefined<T>(value: Overrides<T>): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

function options(overrides: Overrides<VerifyOptions> = {}): VerifyOptions {
  return withoutUndefined<VerifyOptions>({
    issuer,
    audiences: ['sts.amazonaws.com'],
    serviceAccount,
    roleArn,
    ca: chain.root.certPem,
    timeoutMs: 3000,
    ...overrides,
  });
}

function dependencies(overrides: Overrides<VerifyDependencies> = {}): VerifyDependencies {
  return withoutUndefined<VerifyDependencies>({
    cluster: { read: () => readIssuerMetadata(connection) },
    mintToken: tokenMinterFor(connection),
    provider: iam,
    sts,
    logger: silent,
    ...overrides,
  });
}

function check(report: VerifyReport, id: CheckId): Check {
  const found = report.checks.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no ${id} check in the report`);
  return found;
}

const statuses = (report: VerifyReport) =>
  Object.fromEntries(report.checks.map((candidate) => [candidate.id, candidate.status]));

/** An HTTPS host on the same chain that answers every request with `answer`. */
async function startOddHost(answer: {
  status: number;
  headers: Record<string, string>;
  body: string;
}): Promise<{ url: string; server: Server }> {
  const server = createServer(
    { key: chain.leaf.keyPem, cert: chain.leaf.certPem + chain.intermediate.certPem },
    (_request, response) => {
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

beforeAll(async () => {
  federation = await startFederation();
  ({ chain, root, issuer, stand, connection, moto, iam } = federation);
  stsStand = await startSts({ iamEndpoint: moto.endpoint, ca: chain.root.certPem });
  sts = await createAnonymousStsClient({ endpoint: stsStand.endpoint, region: 'us-east-1' });
});

afterAll(async () => {
  sts.destroy();
  await stsStand.stop();
  await federation.stop();
});

beforeEach(async () => {
  stsStand.reset();
  await federation.reset();
});

describe('verify: a federation STS would accept', () => {
  it('passes all twelve checks, ending with the role STS hands out', async () => {
    await createProvider();
    const report = await verifyIssuer(options(), dependencies());
    expect(report.checks.map((candidate) => candidate.id)).toEqual([
      'discovery',
      'issuer',
      'jwks',
      'metadata',
      'limits',
      'signing',
      'keys',
      'provider',
      'thumbprint',
      'audience',
      'token',
      'sts',
    ]);
    expect(statuses(report)).toEqual(Object.fromEntries(report.checks.map((candidate) => [candidate.id, 'passed'])));
    expect(report.ok).toBe(true);
    expect(verificationFailure(report)).toBeUndefined();
    expect(check(report, 'thumbprint').detail).toContain(chain.intermediate.sha1);
    expect(check(report, 'thumbprint').detail).toMatch(/not signed by a publicly trusted CA/);
    expect(check(report, 'keys').detail).toContain(stand.keys[0]?.kid ?? 'never');
    expect(check(report, 'sts').detail).toContain(
      'arn:aws:sts::123456789012:assumed-role/team-a-app/irsa-issuer-verify',
    );
    // The port in the test issuer is legal for OIDC, refused by real IAM: said once, as a warning.
    expect(report.warnings.join(' ')).toMatch(/port/);
  });

  it('never puts the token in the report', async () => {
    await createProvider();
    const report = await verifyIssuer(options(), dependencies());
    expect(JSON.stringify(report)).not.toMatch(jwtPattern);
    expect(renderVerifyReport(report, 'text')).not.toMatch(jwtPattern);
  });

  it('checks only the public side when given no cluster and no AWS, skipping the rest with reasons', async () => {
    const report = await verifyIssuer(options({ roleArn: undefined }), { logger: silent });
    expect(statuses(report)).toEqual({
      discovery: 'passed',
      issuer: 'passed',
      jwks: 'passed',
      metadata: 'passed',
      limits: 'passed',
      signing: 'passed',
      keys: 'skipped',
      provider: 'skipped',
      thumbprint: 'skipped',
      audience: 'skipped',
      token: 'skipped',
      sts: 'skipped',
    });
    expect(report.ok).toBe(true);
    expect(check(report, 'keys').detail).toMatch(/no cluster access/);
    expect(check(report, 'provider').detail).toMatch(/--no-aws/);
    expect(check(report, 'token').detail).toMatch(/--service-account/);
  });

  it('compares the keys with PEM files when there is no cluster yet', async () => {
    const pem = join(root, 'sa.pub');
    await writeFile(
      pem,
      stand.keys.map((key) => key.publicKey.export({ type: 'spki', format: 'pem' }).toString()).join(''),
    );
    const report = await verifyIssuer(options({ serviceAccount: undefined, roleArn: undefined }), {
      cluster: pemFileReader([pem]),
      logger: silent,
    });
    expect(check(report, 'keys').status).toBe('passed');
    expect(check(report, 'token').detail).toMatch(/no --service-account/);
  });
});

describe('verify: each way STS would refuse, with its ✗ and its fix', () => {
  beforeEach(async () => {
    await createProvider();
  });

  it('the discovery document names another issuer', async () => {
    await writeFile(
      published(discoveryPath),
      JSON.stringify({ issuer: 'https://someone-else.example.com', jwks_uri: issuer.jwksUrl }),
    );
    const report = await verifyIssuer(options(), dependencies());
    const failure = check(report, 'issuer');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toContain('names issuer https://someone-else.example.com');
    expect(failure.fix).toContain(`irsa-issuer sync --issuer ${issuer.url}`);
    expect(report.ok).toBe(false);
    expect(verificationFailure(report)?.exitCode).toBe(4);
  });

  it('a trailing slash is enough, and the detail says so', async () => {
    await writeFile(published(discoveryPath), JSON.stringify({ issuer: `${issuer.url}/`, jwks_uri: issuer.jwksUrl }));
    const failure = check(await verifyIssuer(options(), dependencies()), 'issuer');
    expect(failure.detail).toMatch(/differs only by a trailing slash/);
  });

  it('the cluster has a key that is not published', async () => {
    const added = await stand.addKey(await generateSigningKey('ec'));
    const report = await verifyIssuer(options(), dependencies());
    const failure = check(report, 'keys');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toContain(`lacks the cluster's kid ${added.kid}`);
    expect(failure.fix).toMatch(/irsa-issuer sync/);
    // The signing key itself is published, so tokens still verify.
    expect(check(report, 'token').status).toBe('passed');
  });

  it('a published key the cluster no longer has only warns', async () => {
    const [signing] = stand.keys;
    if (signing === undefined) throw new Error('the stand has no key');
    stand.setKeys([signing]);
    const report = await verifyIssuer(options(), dependencies());
    expect(check(report, 'keys').status).toBe('passed');
    expect(check(report, 'keys').warnings.join(' ')).toMatch(/Published key\(s\) the cluster does not have/);
  });

  it('the JWKS is missing (404)', async () => {
    await unlink(published(jwksPath));
    const report = await verifyIssuer(options(), dependencies());
    const failure = check(report, 'jwks');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toContain(`HTTP 404: nothing is published at ${issuer.jwksUrl}`);
    expect(failure.fix).toMatch(/irsa-issuer sync/);
    expect(check(report, 'keys').detail).toMatch(/not run: the public JWKS/);
    expect(check(report, 'token').status).toBe('skipped');
    expect(check(report, 'sts').status).toBe('skipped');
  });

  it('the provider holds another thumbprint and the chain is not publicly trusted', async () => {
    await resetMoto(moto);
    await createProvider({ thumbprints: ['0123456789abcdef0123456789abcdef01234567'] });
    const report = await verifyIssuer(options({ roleArn: undefined }), dependencies());
    const failure = check(report, 'thumbprint');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toContain(`thumbprint ${chain.intermediate.sha1}`);
    expect(failure.detail).toContain('lists 0123456789abcdef0123456789abcdef01234567');
    expect(failure.fix).toContain(`--thumbprint-list ${chain.intermediate.sha1}`);
  });

  it('the provider does not list the audience', async () => {
    await resetMoto(moto);
    await createProvider({ clientIds: ['some-other-client'] });
    const report = await verifyIssuer(options({ roleArn: undefined }), dependencies());
    const failure = check(report, 'audience');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toContain('some-other-client, not sts.amazonaws.com');
    expect(failure.fix).toContain('add-client-id-to-open-id-connect-provider');
  });

  it('the cluster signs with a new key the public JWKS lacks', async () => {
    const rotated = await generateSigningKey('rsa');
    stand.setKeys([rotated, ...stand.keys]);
    const report = await verifyIssuer(options(), dependencies());
    const failure = check(report, 'token');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toContain(`signed with kid ${rotated.kid}, which ${issuer.jwksUrl} does not publish`);
    expect(failure.fix).toMatch(/irsa-issuer sync/);
    expect(check(report, 'sts').detail).toMatch(/did not verify/);
  });

  it('the cluster signs for another issuer', async () => {
    stand.setIssuer('https://kubernetes.default.svc.cluster.local');
    const report = await verifyIssuer(options(), dependencies());
    expect(check(report, 'issuer').fix).toContain(`--service-account-issuer=${issuer.url}`);
    const token = check(report, 'token');
    expect(token.detail).toContain('"iss" https://kubernetes.default.svc.cluster.local');
    expect(token.fix).toContain(`--service-account-jwks-uri=${issuer.jwksUrl}`);
  });

  it('the discovery URL redirects', async () => {
    const odd = await startOddHost({ status: 301, headers: { location: 'https://elsewhere.example.com/x' }, body: '' });
    try {
      const redirecting = parseIssuer(`${odd.url}/${prefix}`);
      const report = await verifyIssuer(
        options({ issuer: redirecting }),
        dependencies({ cluster: undefined, mintToken: undefined }),
      );
      const failure = check(report, 'discovery');
      expect(failure.status).toBe('failed');
      expect(failure.detail).toBe(
        'HTTP 301 redirect to https://elsewhere.example.com/x; STS does not follow redirects',
      );
      expect(failure.fix).toMatch(/Serve the discovery document at exactly/);
      expect(check(report, 'issuer').status).toBe('skipped');
    } finally {
      odd.server.close();
    }
  });

  it('there is no provider for the issuer', async () => {
    await resetMoto(moto);
    const report = await verifyIssuer(options({ roleArn: undefined }), dependencies());
    const failure = check(report, 'provider');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toContain(`no IAM OIDC provider for ${issuer.providerName}`);
    expect(failure.fix).toContain('without --no-register');
    expect(check(report, 'thumbprint').detail).toMatch(/no provider/);
    expect(check(report, 'audience').status).toBe('skipped');
  });

  it('the discovery host is down: a clear ✗, not an exception', async () => {
    const down = parseIssuer(`https://127.0.0.1:${await freePort()}`);
    const report = await verifyIssuer(
      options({ issuer: down }),
      dependencies({ cluster: undefined, mintToken: undefined }),
    );
    const failure = check(report, 'discovery');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toMatch(/connection to 127\.0\.0\.1:\d+ was refused/);
    expect(failure.fix).toBeDefined();
    expect(report.ok).toBe(false);
  });
});

describe('verify: each way STS itself refuses the exchange, with its ✗ and its fix', () => {
  const stsDetail = (text: string) => `AssumeRoleWithWebIdentity for ${roleArn} failed: ${text}`;
  const providerArn = () => `arn:aws:iam::123456789012:oidc-provider/${issuer.providerName}`;

  it('the role trusts another service account: AccessDenied, and the trust policy that lets this one in', async () => {
    await createProvider();
    const report = await verifyIssuer(
      options({ serviceAccount: { namespace: 'team-b', name: 'worker' } }),
      dependencies(),
    );
    const failure = check(report, 'sts');
    expect(check(report, 'token').status).toBe('passed');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toBe(stsDetail('AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity'));
    expect(failure.fix).toContain(`"Principal":{"Federated":"${providerArn()}"}`);
    expect(failure.fix).toContain(`"${issuer.providerName}:sub":"system:serviceaccount:team-b:worker"`);
    expect(stsStand.answers).toEqual([
      {
        status: 403,
        code: 'AccessDenied',
        message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
        roleArn,
      },
    ]);
    expect(verificationFailure(report)?.exitCode).toBe(4);
  });

  it('the trust policy names the provider but not the action', async () => {
    await createProvider();
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'team-a-app',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Federated: providerArn() }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const failure = check(await verifyIssuer(options(), dependencies()), 'sts');
    expect(failure.detail).toBe(stsDetail('AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity'));
    expect(failure.fix).toContain('"Action":"sts:AssumeRoleWithWebIdentity"');
  });

  it('there is no provider: STS names the issuer, the fix creates the provider', async () => {
    const report = await verifyIssuer(options(), dependencies());
    expect(check(report, 'provider').status).toBe('failed');
    const failure = check(report, 'sts');
    expect(failure.detail).toBe(
      stsDetail(`InvalidIdentityTokenException: No OpenIDConnect provider found in your account for ${issuer.url}`),
    );
    expect(failure.fix).toBe(
      `Create the IAM OIDC provider in the role's account: irsa-issuer sync --issuer ${issuer.url}.`,
    );
  });

  it('the provider does not list the audience: Incorrect token audience, and the client ID to add', async () => {
    await createProvider({ clientIds: ['some-other-client'] });
    const report = await verifyIssuer(options(), dependencies());
    expect(check(report, 'audience').status).toBe('failed');
    const failure = check(report, 'sts');
    expect(failure.detail).toBe(stsDetail('InvalidIdentityTokenException: Incorrect token audience'));
    expect(failure.fix).toBe(
      `Add client ID sts.amazonaws.com to the provider: irsa-issuer sync --issuer ${issuer.url} --audience sts.amazonaws.com.`,
    );
  });

  it("STS's clock is ahead of the cluster's by more than the token's life: ExpiredTokenException, fix the clocks", async () => {
    await createProvider();
    stsStand.setClockOffset(600 + 301);
    const failure = check(await verifyIssuer(options(), dependencies()), 'sts');
    expect(failure.detail).toMatch(
      new RegExp(
        `^${stsDetail('ExpiredTokenException: Token expired: current date/time \\d+ must be before the expiration date/time \\d+$')}`,
      ),
    );
    expect(failure.fix).toMatch(/time synchronisation \(NTP\)/);
  });

  it('the provider holds a stale thumbprint: STS names the certificate', async () => {
    await createProvider({ thumbprints: ['0123456789abcdef0123456789abcdef01234567'] });
    const report = await verifyIssuer(options(), dependencies());
    expect(check(report, 'thumbprint').status).toBe('failed');
    expect(check(report, 'sts').detail).toBe(
      stsDetail(
        "InvalidIdentityTokenException: OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
      ),
    );
  });

  const missingRole = 'arn:aws:iam::123456789012:role/no-such-role';

  it('the role does not exist: AccessDenied, exactly as for a trust policy that says no', async () => {
    await createProvider();
    const failure = check(await verifyIssuer(options({ roleArn: missingRole }), dependencies()), 'sts');
    expect(failure.detail).toBe(
      `AssumeRoleWithWebIdentity for ${missingRole} failed: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity`,
    );
  });

  it('the provider holds a stale thumbprint: the fix names the certificate and the command that updates it', async () => {
    await createProvider({ thumbprints: ['0123456789abcdef0123456789abcdef01234567'] });
    const fix = check(await verifyIssuer(options(), dependencies()), 'sts').fix;
    expect(fix).toMatch(/thumbprint.*irsa-issuer sync/);
    expect(fix).toContain(`CN=irsa-issuer test intermediate (thumbprint ${chain.intermediate.sha1})`);
    expect(fix).toContain(
      `irsa-issuer sync --issuer ${issuer.url} updates it, or: aws iam update-open-id-connect-provider-thumbprint`,
    );
  });

  const documentsFix = (kid: string) =>
    `STS could not read ${issuer.discoveryUrl} or the JWKS it names anonymously over HTTPS (port 443, within about 5 seconds, without following a redirect), or that JWKS lacks the token's kid ${kid}.`;

  it('the JWKS is gone by the time STS fetches it: "Couldn\'t retrieve verification key", and the fix says what STS needs', async () => {
    await createProvider();
    const mint = tokenMinterFor(connection);
    // verify has read the JWKS before it mints the token: a host that answers this machine but not
    // the internet (a firewall, a private DNS name) looks exactly like this to STS.
    const report = await verifyIssuer(
      options(),
      dependencies({
        mintToken: async (account, audience) => {
          const token = await mint(account, audience);
          await unlink(published(jwksPath));
          return token;
        },
      }),
    );
    expect(check(report, 'token').status).toBe('passed');
    const failure = check(report, 'sts');
    expect(failure.detail).toBe(
      stsDetail(
        "InvalidIdentityTokenException: Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
      ),
    );
    expect(failure.fix).toContain(documentsFix(stand.keys[0]?.kid ?? 'never'));
    expect(failure.fix).toContain(`irsa-issuer sync --issuer ${issuer.url}`);
  });

  it("the issuer's host is down by the time STS fetches: IDPCommunicationError, explained the same way", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'irsa-verify-down-'));
    const host = await startTlsHost({
      directory,
      certificate: chain.leaf,
      presentedChain: [chain.intermediate.certPem],
    });
    try {
      const down = parseIssuer(`${host.url}/${prefix}`);
      stand.setIssuer(down.url);
      await sync(syncOptions(down.url), {
        cluster: { read: () => readIssuerMetadata(connection) },
        store: new FileStore(join(directory, prefix)),
        logger: silent,
      });
      await iam.send(
        new CreateOpenIDConnectProviderCommand({
          Url: down.url,
          ClientIDList: ['sts.amazonaws.com'],
          ThumbprintList: [chain.intermediate.sha1],
        }),
      );
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: 'team-a-app',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${down.providerName}` },
                Action: 'sts:AssumeRoleWithWebIdentity',
              },
            ],
          }),
        }),
      );
      const mint = tokenMinterFor(connection);
      const report = await verifyIssuer(
        options({ issuer: down }),
        dependencies({
          mintToken: async (account, audience) => {
            const token = await mint(account, audience);
            await host.stop();
            return token;
          },
        }),
      );
      expect(check(report, 'token').status).toBe('passed');
      const failure = check(report, 'sts');
      expect(failure.detail).toMatch(
        /^AssumeRoleWithWebIdentity for .* failed: IDPCommunicationErrorException: The request could not be fulfilled because the identity provider \(IDP\) that was asked to verify the incoming identity token could not be reached/,
      );
      expect(failure.fix).toContain(
        `STS could not read ${down.discoveryUrl} or the JWKS it names anonymously over HTTPS`,
      );
    } finally {
      await host.stop();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('STS refuses the request as invalid: the fix quotes STS, here a session longer than the role allows', async () => {
    await createProvider();
    // Real IAM keeps MaxSessionDuration at 3600 or more, so verify's 900 s always fit; moto takes 600,
    // which makes the STS stand-in answer the ValidationError STS gives for a session too long.
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'short-session',
        MaxSessionDuration: 600,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Federated: providerArn() }, Action: 'sts:AssumeRoleWithWebIdentity' },
          ],
        }),
      }),
    );
    const shortSession = 'arn:aws:iam::123456789012:role/short-session';
    const failure = check(await verifyIssuer(options({ roleArn: shortSession }), dependencies()), 'sts');
    expect(failure.detail).toBe(
      `AssumeRoleWithWebIdentity for ${shortSession} failed: ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
    );
    expect(failure.fix).toBe(
      'STS says: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." verify asks for 900 seconds, the shortest session STS grants; check the role\'s maximum: aws iam get-role --role-name short-session --query Role.MaxSessionDuration.',
    );
  });

  it('STS refuses the role ARN: the fix says how to spell one', async () => {
    await createProvider();
    const tooLong = `arn:aws:iam::123456789012:role/${'r'.repeat(65)}`;
    const failure = check(await verifyIssuer(options({ roleArn: tooLong }), dependencies()), 'sts');
    expect(failure.detail).toBe(
      `AssumeRoleWithWebIdentity for ${tooLong} failed: ValidationError: Request ARN is invalid`,
    );
    expect(failure.fix).toBe('Pass the role as arn:aws:iam::ACCOUNT:role/NAME with --role-arn.');
  });

  it('the role does not exist: the fix says STS cannot tell a missing role from a refusing trust policy', async () => {
    await createProvider();
    const failure = check(await verifyIssuer(options({ roleArn: missingRole }), dependencies()), 'sts');
    expect(failure.fix).toMatch(/no-such-role.*(exist|get-role)/);
    expect(failure.fix).toContain('aws iam get-role --role-name no-such-role');
  });
});

describe('verify: when its own access fails, the check says so', () => {
  beforeEach(async () => {
    await createProvider();
  });

  it('an API server that cannot be reached fails the keys and token checks, naming it', async () => {
    const gone = `https://127.0.0.1:${await freePort()}`;
    const kubeconfig = await stand.writeKubeconfig([
      { name: 'gone', server: gone, caPem: stand.caPem, token: 'not-a-real-token' },
    ]);
    const unreachable = loadKubeConfig({ kubeconfig });
    const report = await verifyIssuer(
      options({ roleArn: undefined, timeoutMs: 2000 }),
      dependencies({
        cluster: { read: () => readIssuerMetadata(unreachable, { timeoutMs: 2000 }) },
        mintToken: tokenMinterFor(unreachable, 2000),
      }),
    );
    expect(check(report, 'keys').status).toBe('failed');
    expect(check(report, 'keys').detail).toContain(gone);
    expect(check(report, 'token').status).toBe('failed');
    expect(check(report, 'discovery').status).toBe('passed');
  });

  it('an STS that cannot be reached fails the sts check, without the token in it', async () => {
    const nowhere = await createAnonymousStsClient({
      endpoint: `http://127.0.0.1:${await freePort()}`,
      region: 'us-east-1',
    });
    const report = await verifyIssuer(options(), dependencies({ sts: nowhere }));
    const failure = check(report, 'sts');
    expect(failure.status).toBe('failed');
    expect(failure.detail).toContain(`AssumeRoleWithWebIdentity for ${roleArn} failed`);
    expect(failure.fix).toMatch(/network path to STS/);
    expect(JSON.stringify(report)).not.toMatch(jwtPattern);
  });
});

describe('verify: what STS is lenient about', () => {
  it('a document served as text/plain passes with a warning', async () => {
    const odd = await startOddHost({
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ issuer: '', jwks_uri: '' }),
    });
    try {
      const plain = parseIssuer(odd.url);
      const report = await verifyIssuer(options({ issuer: plain, serviceAccount: undefined, roleArn: undefined }), {});
      expect(check(report, 'discovery').status).toBe('passed');
      expect(check(report, 'discovery').warnings.join(' ')).toMatch(/served as text\/plain.*STS reads it anyway/);
    } finally {
      odd.server.close();
    }
  });

  it('a stale thumbprint on a publicly trusted chain is a warning: AWS does not use it then', async () => {
    await createProvider({ thumbprints: ['0123456789abcdef0123456789abcdef01234567'] });
    // No publicly trusted certificate can be had offline: the probe reports one, the rest is real.
    const report = await verifyIssuer(
      options({ serviceAccount: undefined, roleArn: undefined }),
      dependencies({
        probe: (target) =>
          Promise.resolve({
            host: target.host,
            port: target.port ?? 443,
            thumbprint: chain.intermediate.sha1,
            trusted: true,
            hostnameMatches: true,
            chain: [
              {
                subject: 'CN=Amazon RSA 2048 M02',
                issuer: 'CN=Amazon Root CA 1',
                sha1: chain.intermediate.sha1,
                notAfter: '2030-01-01T00:00:00.000Z',
              },
            ],
          }),
      }),
    );
    const thumbprint = check(report, 'thumbprint');
    expect(thumbprint.status).toBe('passed');
    expect(thumbprint.detail).toMatch(/publicly trusted CA, so AWS verifies it without the thumbprint/);
    expect(thumbprint.warnings.join(' ')).toMatch(/stale/);
  });
});

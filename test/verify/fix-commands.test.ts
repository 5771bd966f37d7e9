/**
 * Every fix verify can print names only command lines irsa-issuer accepts, for an issuer it
 * publishes and for one with a trailing slash that it only verifies (AKS). The fixes come from
 * the check functions fed every kind of answer: a fetch that answers each status and fails each
 * way, a probe, an IAM and an STS that answer each refusal. These are fakes on purpose: the real
 * stands cannot produce every branch (STS's IDPRejectedClaim, a DNS failure), and what is under
 * test is the text, which the scenario tests exercise against the real stands too.
 */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { ActualProvider, ProviderApi } from '../../src/iam/index.js';
import { parseIssuer, type Issuer, verifyIssuerRules } from '../../src/issuer.js';
import type { Check } from '../../src/verify/check.js';
import { checkDiscovery, checkIssuerClaim, checkJwks, type PublicFetch } from '../../src/verify/documents.js';
import {
  defaultFetchOptions,
  PublicFetchError,
  type PublicFetchFailure,
  type PublicResponse,
} from '../../src/verify/fetch.js';
import { checkKeys } from '../../src/verify/keys.js';
import { checkAudience, checkProvider, checkThumbprint } from '../../src/verify/provider.js';
import { checkLimits, checkMetadata, checkSigning } from '../../src/verify/published.js';
import { checkSts, type StsApi } from '../../src/verify/sts.js';
import { checkToken } from '../../src/verify/token.js';
import { generateSigningKey, kubernetesJwk } from '../stand/apiserver-keys.js';
import { suggestedCommands, usageError, verdicts } from './fix-commands.js';

const publishable = parseIssuer('https://oidc.example.com/clusters/prod');
const aks = parseIssuer('https://westeurope.oic.prod-aks.azure.com/d8f1a1c2-tenant/5e6f-cluster/', verifyIssuerRules);

const response = (
  status: number,
  body: string,
  headers: { contentType?: string; location?: string } = {},
): PublicResponse => ({
  status,
  body: Buffer.from(body),
  contentType: headers.contentType ?? 'application/json',
  location: headers.location,
});

/** Every kind of answer a web host gives, and every way a GET fails. */
function answers(issuer: Issuer): PublicFetch[] {
  const failures: PublicFetchFailure[] = [
    'not-https',
    'dns',
    'refused',
    'unreachable',
    'timeout',
    'tls',
    'reset',
    'too-large',
    'other',
  ];
  return [
    ...[
      response(301, '', { location: 'https://elsewhere.example.com/prod/.well-known/openid-configuration' }),
      response(302, '', { location: '/moved/.well-known/openid-configuration' }),
      response(307, '', { location: 'http://plain.example.com/x' }),
      response(308, ''),
      response(401, ''),
      response(403, ''),
      response(404, ''),
      response(500, ''),
      response(418, ''),
      response(200, '<html>'),
      response(200, '[]'),
      response(200, JSON.stringify({ issuer: issuer.url }), { contentType: 'text/plain' }),
      response(200, JSON.stringify({ issuer: issuer.url, jwks_uri: 'http://insecure.example.com/jwks' })),
      response(200, JSON.stringify({ keys: 'none' })),
      response(200, JSON.stringify({ keys: [] })),
      response(200, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'leaked' }] })),
    ].map(
      (answer): PublicFetch =>
        () =>
          Promise.resolve(answer),
    ),
    ...failures.map(
      (failure): PublicFetch =>
        (url) =>
          Promise.reject(
            new PublicFetchError(url, failure, `it failed (${failure})`, {
              systemCode: failure === 'tls' ? 'CERT_HAS_EXPIRED' : undefined,
            }),
          ),
    ),
  ];
}

const provider: ActualProvider = {
  arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.example.com/clusters/prod',
  url: 'oidc.example.com/clusters/prod',
  clientIds: ['other'],
  thumbprints: ['0123456789abcdef0123456789abcdef01234567'],
  tags: {},
};

const stsRefusals: [string, string][] = [
  ['AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity'],
  ['InvalidIdentityTokenException', 'No OpenIDConnect provider found in your account for https://oidc.example.com'],
  ['InvalidIdentityTokenException', 'Incorrect token audience'],
  ['InvalidIdentityTokenException', "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"],
  [
    'InvalidIdentityTokenException',
    "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
  ],
  ['InvalidIdentityTokenException', 'The web identity token that was passed could not be validated by AWS.'],
  [
    'IDPCommunicationErrorException',
    'The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached.',
  ],
  ['IDPRejectedClaimException', 'graph.facebook.com responded with HTTP/1.1 400 Bad Request'],
  ['ExpiredTokenException', 'Token expired: current date/time 2 must be before the expiration date/time 1'],
  ['ValidationError', 'Request ARN is invalid'],
  ['ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'],
  [
    'ValidationError',
    "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000",
  ],
  ['TimeoutError', 'socket hang up'],
];

/** Every fix (and warning) verify's checks give for this issuer, across every kind of answer. */
async function everyFix(issuer: Issuer): Promise<Check[]> {
  const checks: Check[] = [];
  const [signing, other] = [await generateSigningKey('ec-p384'), await generateSigningKey('rsa')];
  const jwk = kubernetesJwk(signing);
  const published = {
    uri: issuer.jwksUrl,
    keys: [
      { ...jwk, use: 'enc' },
      { ...jwk, alg: 'ES256' },
      { kty: 'OKP', crv: 'Ed25519', x: 'AA' },
      ...Array.from({ length: 101 }, (_, index) => ({ ...kubernetesJwk(other), kid: `k${String(index)}` })),
    ],
    bytes: 1,
  };
  const discovery = { issuer: issuer.url, jwks_uri: issuer.jwksUrl };

  for (const fetch of answers(issuer)) {
    const found = await checkDiscovery(issuer, fetch, defaultFetchOptions);
    checks.push(found.check, (await checkJwks(issuer, discovery, fetch, defaultFetchOptions)).check);
  }
  checks.push(
    (
      await checkJwks(
        issuer,
        { issuer: issuer.url },
        answers(issuer)[0] ?? (() => Promise.reject(new Error('no answer'))),
        defaultFetchOptions,
      )
    ).check,
  );
  for (const named of [
    'https://someone-else.example.com',
    'https://someone-else.example.com/',
    `${issuer.url}/`,
    issuer.url.replace(/\/$/, ''),
    issuer.url.toUpperCase(),
    'not a url',
    42,
  ]) {
    checks.push(checkIssuerClaim(issuer, { ...discovery, issuer: named }, undefined));
  }
  checks.push(checkIssuerClaim(issuer, discovery, 'https://kubernetes.default.svc.cluster.local'));
  checks.push(
    checkMetadata(issuer, { id_token_signing_alg_values_supported: ['RS256'] }, published),
    checkLimits(issuer, published, 1024),
    checkSigning(issuer, published),
  );
  checks.push(
    await checkKeys(
      issuer,
      {
        jwks: {
          keys: [
            { ...kubernetesJwk(other), kty: 'RSA', use: 'sig', alg: 'RS256', n: 'AQAB', e: 'AQAB', kid: 'missing' },
          ],
        },
        source: 'test',
      },
      published,
    ),
  );

  const noProviders: ProviderApi = { send: () => Promise.resolve({ OpenIDConnectProviderList: [] }) as never };
  const failingIam: ProviderApi = {
    send: () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDenied' })),
  };
  checks.push(
    (await checkProvider(issuer, 'sts.amazonaws.com', noProviders)).check,
    (await checkProvider(issuer, 'sts.amazonaws.com', failingIam)).check,
  );
  for (const trusted of [true, false]) {
    const probe = () =>
      Promise.resolve({
        host: 'oidc.example.com',
        port: 443,
        thumbprint: 'ffffffffffffffffffffffffffffffffffffffff',
        trusted,
        hostnameMatches: false,
        chain: [{ subject: 'CN=Some CA', issuer: 'CN=Root', sha1: 'ff', notAfter: '2030-01-01T00:00:00.000Z' }],
      });
    checks.push((await checkThumbprint(issuer, provider, issuer.jwksUrl, probe, 1000)).check);
  }
  checks.push(
    (await checkThumbprint(issuer, provider, issuer.jwksUrl, () => Promise.reject(new Error('unreachable')), 1000))
      .check,
  );
  checks.push(checkAudience(issuer, provider, ['sts.amazonaws.com', 'vault']));

  const sign = (claims: object, header = { alg: signing.alg, kid: signing.kid }) =>
    new SignJWT({ sub: 'system:serviceaccount:a:b', aud: 'sts.amazonaws.com', ...claims })
      .setProtectedHeader(header)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(signing.privateKey);
  const tokens = [
    await sign({ iss: issuer.url }, { alg: 'ES384', kid: 'unpublished' }),
    await sign({ iss: issuer.url }),
    await sign({ iss: 'https://kubernetes.default.svc.cluster.local' }, { alg: 'ES384', kid: 'good' }),
    await new SignJWT({ iss: issuer.url })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'ed' })
      .sign(generateKeyPairSync('ed25519').privateKey),
  ];
  const keySets = [
    published,
    {
      ...published,
      keys: [
        { ...jwk, kid: 'good' },
        { ...jwk, kid: 'ed', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' },
      ],
    },
  ];
  for (const token of tokens) {
    for (const keys of keySets) {
      checks.push(
        (
          await checkToken(issuer, keys, { namespace: 'a', name: 'b' }, 'sts.amazonaws.com', () =>
            Promise.resolve(token),
          )
        ).check,
      );
    }
  }
  checks.push(
    (
      await checkToken(issuer, published, { namespace: 'a', name: 'b' }, 'sts.amazonaws.com', () =>
        Promise.reject(new Error('forbidden')),
      )
    ).check,
  );

  const verified = { token: 'a.b.c', subject: 'system:serviceaccount:a:b', kid: signing.kid, alg: signing.alg };
  for (const [name, message] of stsRefusals) {
    const sts: StsApi = {
      send: () =>
        Promise.reject(
          Object.assign(new Error(message), {
            name,
            $metadata: name === 'TimeoutError' ? {} : { httpStatusCode: 400 },
          }),
        ),
    };
    for (const context of [
      {},
      {
        presented: { where: 'oidc.example.com:443', subject: 'CN=Some CA', thumbprint: 'ff'.repeat(20) },
        providerArn: provider.arn,
      },
    ]) {
      checks.push(
        await checkSts(
          {
            issuer,
            roleArn: 'arn:aws:iam::123456789012:role/app',
            serviceAccount: { namespace: 'a', name: 'b' },
            audience: 'sts.amazonaws.com',
            ...context,
          },
          verified,
          sts,
        ),
      );
    }
  }
  return checks;
}

describe('the fixes verify prints name only command lines irsa-issuer accepts', () => {
  it.each([
    ['an issuer irsa-issuer publishes', publishable],
    ['an issuer with a trailing slash, which it only verifies (AKS)', aks],
  ])('for %s', async (_, issuer) => {
    const checks = await everyFix(issuer);
    const failedWithFix = checks.filter((check) => check.status === 'failed');
    expect(failedWithFix.length).toBeGreaterThan(60);
    expect(failedWithFix.every((check) => check.fix !== undefined && check.fix !== '')).toBe(true);
    const found = await verdicts(checks);
    expect(found.length).toBeGreaterThan(issuer === publishable ? 40 : 5);
    expect(found.filter((verdict) => verdict.error !== undefined)).toEqual([]);
    if (issuer === aks)
      expect(
        found.map((verdict) => verdict.command).filter((command) => command.startsWith('irsa-issuer sync')),
      ).toEqual([]);
  });
});

describe('the parser check can say no', () => {
  it.each([
    [['sync', '--issuer', 'https://oidc.example.com/prod/'], /ends with a slash/],
    [['sync', '--audience', 'sts.amazonaws.com'], /No issuer given/],
    [['verify', '--issuer', 'https://oidc.example.com', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['verify', '--issuer', 'http://oidc.example.com'], /uses http:\/\//],
    [['verify', '--issuer', 'https://oidc.example.com', '--output', 'yaml'], /Allowed choices are text, json/],
    [['publish', '--issuer', 'https://oidc.example.com'], /no command "publish"/],
  ])('refuses irsa-issuer %j', async (argv, message) => {
    expect(await usageError(argv)).toMatch(message);
  });

  it.each([
    [['verify', '--issuer', 'https://westeurope.oic.prod-aks.azure.com/tenant/guid/']],
    [
      [
        'register',
        '--issuer',
        'https://westeurope.oic.prod-aks.azure.com/tenant/guid/',
        '--audience',
        'sts.amazonaws.com',
      ],
    ],
    [['sync', '--issuer', 'https://oidc.example.com/prod', '--audience', 'sts.amazonaws.com', '--audience', 'vault']],
    [['thumbprint', 'https://oidc.example.com/prod/openid/v1/jwks']],
  ])('takes irsa-issuer %j', async (argv) => {
    expect(await usageError(argv)).toBeUndefined();
  });

  it('takes each command line out of its sentence', () => {
    expect(
      suggestedCommands(
        'Publish it with irsa-issuer sync --issuer https://x.example.com/p (and check). Or run irsa-issuer verify --issuer https://y.example.com/q/. ' +
          'See irsa-issuer thumbprint https://x.example.com/p/openid/v1/jwks; irsa-issuer publishes only these. Or irsa-issuer publish --issuer z.',
      ),
    ).toEqual([
      ['sync', '--issuer', 'https://x.example.com/p'],
      ['verify', '--issuer', 'https://y.example.com/q/'],
      ['thumbprint', 'https://x.example.com/p/openid/v1/jwks'],
      ['publish'],
    ]);
  });
});

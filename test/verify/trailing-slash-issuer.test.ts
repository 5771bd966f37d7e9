/**
 * One spelling of an issuer everywhere irsa-issuer publishes one (no trailing slash), but an issuer
 * that is already public with a slash (AKS: https://REGION.oic.prod-aks.azure.com/TENANT/GUID/) is
 * verified exactly as tokens carry it: IAM keeps the slash in the provider URL, and OIDC Discovery
 * drops it only to form the discovery URL.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseIssuer, verifyIssuerRules } from '../../src/issuer.js';
import { cli } from '../cli/cli.js';

const aks = 'https://westeurope.oic.prod-aks.azure.com/00000000-tenant/11111111-cluster/';

describe('an issuer with a trailing slash', () => {
  it('is taken for verify exactly as tokens carry it', () => {
    const issuer = parseIssuer(aks, verifyIssuerRules);
    expect(issuer.url).toBe(aks);
    expect(issuer.providerName).toBe('westeurope.oic.prod-aks.azure.com/00000000-tenant/11111111-cluster/');
    expect(issuer.discoveryUrl).toBe(
      'https://westeurope.oic.prod-aks.azure.com/00000000-tenant/11111111-cluster/.well-known/openid-configuration',
    );
    expect(issuer.jwksUrl).toBe(
      'https://westeurope.oic.prod-aks.azure.com/00000000-tenant/11111111-cluster/openid/v1/jwks',
    );
  });

  it('is taken for verify with no path at all', () => {
    const issuer = parseIssuer('https://oidc.example.com/', verifyIssuerRules);
    expect(issuer.providerName).toBe('oidc.example.com/');
    expect(issuer.discoveryUrl).toBe('https://oidc.example.com/.well-known/openid-configuration');
  });

  it('still has to be canonical and https', () => {
    expect(() => parseIssuer('https://OIDC.example.com/a/', verifyIssuerRules)).toThrow(/canonical form/);
    expect(() => parseIssuer('http://oidc.example.com/a/', verifyIssuerRules)).toThrow(/uses http:\/\//);
  });

  it('is refused for an issuer irsa-issuer publishes', () => {
    expect(() => parseIssuer(aks)).toThrow(ConfigError);
  });

  it.each([
    ['sync', ['--target', 'file:///nonexistent']],
    ['render', []],
  ])('irsa-issuer %s refuses it with exit 2, before reading anything', async (command, extra) => {
    const result = await cli([command, '--issuer', aks, ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ends with a slash/);
  });

  it('irsa-issuer verify takes it, and its --help says so', async () => {
    const help = await cli(['verify', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('with a trailing slash only if they carry one (AKS)');
    // Nothing listens on the loopback port: the check fails (exit 4), the flag was taken.
    const result = await cli([
      'verify',
      '--issuer',
      'https://127.0.0.1:9/tenant/guid/',
      '--no-aws',
      '--public-key-file',
      '/nonexistent',
      '--timeout',
      '2',
    ]);
    expect(result.stderr).not.toMatch(/ends with a slash/);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^✗ discovery .*127\.0\.0\.1:9/m);
  });
});

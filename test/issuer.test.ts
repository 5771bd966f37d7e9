import { describe, expect, it } from 'vitest';
import { parseIssuer } from '../src/issuer.js';
import { parseTarget, targetFromIssuer } from '../src/publish/target.js';
import { ConfigError } from '../src/errors.js';

describe('the public issuer', () => {
  it('describes an S3 issuer with the names IAM and STS use', () => {
    const issuer = parseIssuer('https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod');
    expect(issuer.providerName).toBe('my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod');
    expect(issuer.discoveryUrl).toBe(
      'https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod/.well-known/openid-configuration',
    );
    expect(issuer.jwksUrl).toBe('https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod/openid/v1/jwks');
    expect(issuer.warnings).toEqual([]);
  });

  it('accepts an issuer with no path', () => {
    expect(parseIssuer('https://oidc.example.com').jwksUrl).toBe('https://oidc.example.com/openid/v1/jwks');
  });

  it.each([
    ['http://oidc.example.com', /uses http:\/\//],
    ['oidc.example.com', /not a URL/],
    ['', /empty/],
    ['https://oidc.example.com/prod?x=1', /query string/],
    ['https://oidc.example.com/prod#x', /fragment/],
    ['https://user:pw@oidc.example.com', /user info/],
    ['https://oidc.example.com/prod/', /ends with a slash.*Use https:\/\/oidc\.example\.com\/prod\./],
    ['https://OIDC.example.com', /canonical form.*https:\/\/oidc\.example\.com/],
    ['https://oidc.example.com:443/prod', /canonical form/],
    ['https://oidc.example.com/a/../prod', /canonical form/],
    [
      'https://oidc.example.com/prod/.well-known/openid-configuration',
      /a document under the issuer, not the issuer itself\. Use https:\/\/oidc\.example\.com\/prod\./,
    ],
    ['https://oidc.example.com/prod/openid/v1/jwks', /Use https:\/\/oidc\.example\.com\/prod\./],
    ['https://oidc.example.com/clusters//prod', /empty path segment/],
    ['https://oidc.example.com./prod', /ends its host with a dot/],
    [
      `https://oidc.example.com/${'p'.repeat(240)}`,
      /265 characters long; IAM accepts OIDC provider URLs of at most 255/,
    ],
  ])('refuses %j as a configuration error', (raw, message) => {
    expect(() => parseIssuer(raw)).toThrow(ConfigError);
    expect(() => parseIssuer(raw)).toThrow(message);
  });

  it('warns, but allows, a port that IAM will refuse', () => {
    expect(parseIssuer('https://oidc.example.com:8443').warnings[0]).toMatch(/port 8443.*IAM refuses/);
  });
});

describe('the publish target', () => {
  it('is implied by an S3 virtual-hosted issuer', () => {
    expect(targetFromIssuer(parseIssuer('https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod'))).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'clusters/prod',
      region: 'eu-west-1',
    });
    expect(targetFromIssuer(parseIssuer('https://my-bucket.s3.amazonaws.com'))).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: '',
      region: 'us-east-1',
    });
    expect(targetFromIssuer(parseIssuer('https://oidc.example.com/prod'))).toBeUndefined();
  });

  it('refuses to imply a bucket with dots, which S3 cannot serve over HTTPS in that form', () => {
    expect(() => targetFromIssuer(parseIssuer('https://my.bucket.s3.eu-west-1.amazonaws.com'))).toThrow(
      /contains dots/,
    );
  });

  it('parses s3:// and file:// targets', () => {
    expect(parseTarget('s3://my-bucket/clusters/prod/')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'clusters/prod',
    });
    expect(parseTarget('s3://my-bucket')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: '' });
    expect(parseTarget('file://./public')).toEqual({ kind: 'file', directory: './public' });
  });

  it.each([
    ['https://example.com', /neither/],
    ['s3://My_Bucket/x', /not a valid S3 bucket name/],
    ['s3://my-bucket/a/../b', /"\.\."/],
    ['file://', /names no directory/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseTarget(raw)).toThrow(message);
  });
});

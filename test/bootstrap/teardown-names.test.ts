/**
 * The names teardown recognises bootstrap's work by (the contract), and how it reads a role's trust
 * policy: IAM hands trust policies back URL-encoded, which moto does not do in ListRoles, so the
 * encoded form is covered here.
 */
import { describe, expect, it } from 'vitest';
import {
  bucketIssuer,
  defaultClusterName,
  partitionFor,
  publicReadSid,
  publisherRoleName,
} from '../../src/bootstrap/names.js';
import { trustsProvider } from '../../src/bootstrap/teardown-iam.js';
import { targetFromIssuer } from '../../src/publish/target.js';

const arn = 'arn:aws:iam::123456789012:oidc-provider/acme-oidc.s3.eu-west-1.amazonaws.com/clusters/prod';

function trust(statement: object): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
}

describe('the names bootstrap and teardown share', () => {
  it('the issuer of a bucket is the one sync infers the same bucket from', () => {
    const issuer = bucketIssuer('acme-oidc', 'eu-west-1', 'clusters/prod');
    expect(issuer.url).toBe('https://acme-oidc.s3.eu-west-1.amazonaws.com/clusters/prod');
    expect(targetFromIssuer(issuer)).toEqual({
      kind: 's3',
      bucket: 'acme-oidc',
      prefix: 'clusters/prod',
      region: 'eu-west-1',
    });
    expect(bucketIssuer('acme-oidc', 'cn-north-1', '').url).toBe('https://acme-oidc.s3.cn-north-1.amazonaws.com.cn');
  });

  it('partitions, Sids per prefix, cluster and role names', () => {
    expect(['eu-west-1', 'cn-northwest-1', 'us-gov-west-1'].map(partitionFor)).toEqual(['aws', 'aws-cn', 'aws-us-gov']);
    expect(publicReadSid('/clusters/prod/')).toBe(publicReadSid('clusters/prod'));
    expect(publicReadSid('clusters/prod')).not.toBe(publicReadSid('clusters/dev'));
    expect(publicReadSid('')).toMatch(/^IrsaIssuerPublicRead[0-9a-f]{12}$/);
    expect(defaultClusterName('acme-oidc', 'clusters/prod')).toBe('prod');
    expect(defaultClusterName('acme-oidc', '')).toBe('acme-oidc');
    expect(publisherRoleName('x'.repeat(80))).toHaveLength(64);
    expect(publisherRoleName('prod', 'custom')).toBe('custom');
    expect(() => publisherRoleName('prod~1')).toThrow(/--role-name/);
  });
});

describe('which roles trust the provider', () => {
  const federated = { Effect: 'Allow', Principal: { Federated: arn }, Action: 'sts:AssumeRoleWithWebIdentity' };

  it('reads the trust policy plain or URL-encoded, as IAM returns it', () => {
    expect(trustsProvider(trust(federated), arn)).toBe(true);
    expect(trustsProvider(encodeURIComponent(trust(federated)), arn)).toBe(true);
    expect(trustsProvider(trust({ ...federated, Principal: { Federated: ['arn:other', arn] } }), arn)).toBe(true);
  });

  it('a Deny, another provider or a longer path sharing the prefix is not trust', () => {
    expect(trustsProvider(trust({ ...federated, Effect: 'Deny' }), arn)).toBe(false);
    expect(trustsProvider(trust({ ...federated, Principal: { Federated: `${arn}-two` } }), arn)).toBe(false);
    expect(trustsProvider(trust({ ...federated, Principal: { Service: 'ec2.amazonaws.com' } }), arn)).toBe(false);
  });

  it('a document it cannot parse counts when it names the provider: refusing wrongly is the cheap mistake', () => {
    expect(trustsProvider(`{not json ${arn}`, arn)).toBe(true);
  });
});

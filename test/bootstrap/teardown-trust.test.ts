/**
 * How teardown reads a role's trust policy: IAM hands trust policies back URL-encoded, which moto
 * does not do in ListRoles, so the encoded form is covered here. (The shared names themselves are
 * names.test.ts's.)
 */
import { describe, expect, it } from 'vitest';
import { trustsProvider } from '../../src/bootstrap/teardown-iam.js';

const arn = 'arn:aws:iam::123456789012:oidc-provider/acme-oidc.s3.eu-west-1.amazonaws.com/clusters/prod';

function trust(statement: object): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
}

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

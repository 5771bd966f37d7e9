/** The names teardown and the docs rely on: a change here strands what earlier bootstraps made. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bucketIssuerUrl,
  defaultClusterName,
  defaultRoleName,
  partitionOf,
  providerArn,
  publicReadSid,
} from '../../src/bootstrap/names.js';
import { parseIssuer } from '../../src/issuer.js';
import { targetFromIssuer } from '../../src/publish/target.js';

describe('bootstrap names', () => {
  it.each([
    ['eu-west-1', 'clusters/prod'],
    ['us-east-1', ''],
    ['cn-north-1', 'a/b'],
    ['us-gov-west-1', 'x'],
  ])('the issuer of a bucket in %s is what sync takes back apart into the same bucket', (region, prefix) => {
    const url = bucketIssuerUrl('acme-oidc', region, prefix);
    expect(targetFromIssuer(parseIssuer(url))).toEqual({ kind: 's3', bucket: 'acme-oidc', prefix, region });
  });

  it('spells the issuer and ARNs in the partition of the region', () => {
    expect(bucketIssuerUrl('b-1', 'cn-northwest-1', 'p')).toBe('https://b-1.s3.cn-northwest-1.amazonaws.com.cn/p');
    expect(partitionOf('us-gov-east-1')).toBe('aws-us-gov');
    expect(partitionOf('eu-west-1')).toBe('aws');
    const issuer = parseIssuer(bucketIssuerUrl('b-1', 'cn-north-1', 'p'));
    expect(providerArn(partitionOf('cn-north-1'), '111122223333', issuer)).toBe(
      'arn:aws-cn:iam::111122223333:oidc-provider/b-1.s3.cn-north-1.amazonaws.com.cn/p',
    );
  });

  it('gives each prefix its own Sid, the same with or without slashes', () => {
    const hash = createHash('sha256').update('clusters/prod').digest('hex').slice(0, 12);
    expect(publicReadSid('clusters/prod')).toBe(`IrsaIssuerPublicRead${hash}`);
    expect(publicReadSid('/clusters/prod/')).toBe(publicReadSid('clusters/prod'));
    expect(publicReadSid('')).not.toBe(publicReadSid('clusters/prod'));
  });

  it('names the cluster after the last prefix segment, else the bucket, and the role after it within 64', () => {
    expect(defaultClusterName('acme-oidc', 'clusters/prod')).toBe('prod');
    expect(defaultClusterName('acme-oidc', '')).toBe('acme-oidc');
    expect(defaultRoleName('prod')).toBe('irsa-issuer-prod');
    expect(defaultRoleName('x'.repeat(80))).toHaveLength(64);
  });
});

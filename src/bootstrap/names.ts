/**
 * The names bootstrap gives what it creates, and by which teardown recognises it again: one home
 * for each, per the bootstrap contract (tags, the bucket-policy Sid, the publisher role, the
 * partition, the provider ARN). Changing one strands everything an earlier version created.
 */
import { createHash } from 'node:crypto';
import { ConfigError, InternalError } from '../errors.js';
import { discoveryPath, jwksPath, parseIssuer, type Issuer } from '../issuer.js';
import { parseTarget, targetFromIssuer } from '../publish/index.js';

/** Tag keys on the provider, the publisher role, and a bucket bootstrap created. */
export const managedByTagKey = 'irsa-issuer/managed-by';
export const managedByTagValue = 'irsa-issuer';
export const clusterTagKey = 'irsa-issuer/cluster';
export const issuerTagKey = 'irsa-issuer/issuer';

/** The one inline policy of the publisher role. */
export const publisherPolicyName = 'irsa-issuer-publisher';

/** IAM role names: at most 64 of these characters. */
const maxRoleNameLength = 64;
const roleNamePattern = /^[\w+=,.@-]{1,64}$/;

export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** The partition of a region: it is in every ARN and policy bootstrap writes. */
export function partitionFor(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const regionPattern = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** `--region`: a region name, since it becomes part of the issuer's host. */
export function checkRegion(region: string): string {
  if (!regionPattern.test(region)) {
    throw new ConfigError(
      `--region ${JSON.stringify(region)} is not an AWS region name (e.g. eu-west-1); pass the bucket's region.`,
    );
  }
  return region;
}

/** `--bucket` and `--prefix` as sync's target parser takes them: the prefix without slashes at either end. */
export function bucketTarget(bucket: string, prefix: string): { bucket: string; prefix: string } {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  const target = parseTarget(`s3://${bucket}${trimmed === '' ? '' : `/${trimmed}`}`);
  if (target.kind !== 's3') throw new InternalError(`s3:// parsed as ${target.kind}`);
  return { bucket: target.bucket, prefix: target.prefix };
}

/**
 * The issuer a bucket serves: `https://B.s3.R.amazonaws.com[/P]` (`.amazonaws.com.cn` in China), the
 * very URL from which sync infers the bucket again; checked against that inference, so the two
 * cannot drift apart.
 */
export function bucketIssuer(bucket: string, region: string, prefix: string): Issuer {
  const suffix = partitionFor(region) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  const issuer = parseIssuer(`https://${bucket}.s3.${region}.${suffix}${prefix === '' ? '' : `/${prefix}`}`);
  if (suffix === 'amazonaws.com') {
    const implied = targetFromIssuer(issuer);
    if (implied?.kind !== 's3' || implied.bucket !== bucket || implied.prefix !== prefix || implied.region !== region)
      throw new InternalError(`the issuer ${issuer.url} does not imply s3://${bucket}/${prefix} in ${region} again`);
  }
  return issuer;
}

/** `--cluster-name` by default: the last segment of the prefix, else the bucket name. */
export function defaultClusterName(bucket: string, prefix: string): string {
  return prefix.split('/').at(-1) || bucket;
}

/** `--role-name` by default: `irsa-issuer-<cluster>`, cut to IAM's 64 characters. */
export function publisherRoleName(clusterName: string, override?: string): string {
  const name = override ?? `irsa-issuer-${clusterName}`.slice(0, maxRoleNameLength);
  if (!roleNamePattern.test(name)) {
    throw new ConfigError(
      `The role name ${JSON.stringify(name)} is not one IAM accepts (1-64 letters, digits and +=,.@_-). ` +
        'Pass --role-name, or a --cluster-name made of those characters.',
    );
  }
  return name;
}

/** The Sid of the public-read statement for one prefix: several issuers may share a bucket. */
export function publicReadSid(prefix: string): string {
  const digest = createHash('sha256')
    .update(prefix.replace(/^\/+|\/+$/g, ''))
    .digest('hex');
  return `IrsaIssuerPublicRead${digest.slice(0, 12)}`;
}

/** The two public documents' object ARNs: exactly what the public-read statement grants. */
export function documentArns(partition: Partition, bucket: string, prefix: string): [string, string] {
  const under = prefix === '' ? '' : `${prefix}/`;
  return [
    `arn:${partition}:s3:::${bucket}/${under}${discoveryPath}`,
    `arn:${partition}:s3:::${bucket}/${under}${jwksPath}`,
  ];
}

/** `arn:PARTITION:iam::ACCOUNT:oidc-provider/HOST/PATH`. */
export function providerArn(partition: Partition, account: string, issuer: Issuer): string {
  return `arn:${partition}:iam::${account}:oidc-provider/${issuer.providerName}`;
}

/** True when IAM tags say bootstrap made this for this issuer. */
export function isManagedFor(tags: Readonly<Record<string, string>>, issuer: Issuer): boolean {
  return tags[managedByTagKey] === managedByTagValue && tags[issuerTagKey] === issuer.url;
}

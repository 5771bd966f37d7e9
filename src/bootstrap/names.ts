/**
 * The facts `bootstrap`, `teardown` and `trust-policy` must agree on, spelled once: the tags that
 * mark what bootstrap created, the bucket-policy statement's Sid, the publisher role's name, the
 * partition of a region, and the ARNs built from them. Changing one strands what earlier runs made.
 */
import { createHash } from 'node:crypto';
import { discoveryPath, exposedKidsPath, jwksPath, type Issuer } from '../issuer.js';
import { objectKey } from '../publish/index.js';
import { partitionOf, type Partition } from '../partition.js';

export { partitionOf, type Partition };

export const managedByTag = 'irsa-issuer/managed-by';
export const managedByValue = 'irsa-issuer';
export const clusterTag = 'irsa-issuer/cluster';
export const issuerTag = 'irsa-issuer/issuer';

/** The tags on everything bootstrap creates: the provider, the publisher role, a bucket it made. */
export function managedTags(cluster: string, issuerUrl: string): Record<string, string> {
  return { [managedByTag]: managedByValue, [clusterTag]: cluster, [issuerTag]: issuerUrl };
}

/** Made by bootstrap (or trust-policy) for exactly this issuer: the only resources teardown (or an update) may touch. */
export function isManagedFor(tags: Readonly<Record<string, string>>, issuerUrl: string): boolean {
  return tags[managedByTag] === managedByValue && tags[issuerTag] === issuerUrl;
}

/** Made by this tool at all (for this or another issuer). */
export function isManaged(tags: Readonly<Record<string, string>>): boolean {
  return tags[managedByTag] === managedByValue;
}

/**
 * The issuer a bucket serves: `https://B.s3.R.amazonaws.com[/P]` (`.amazonaws.com.cn` in China),
 * the URL `sync` takes back apart into the same bucket, prefix and region (publish/target.ts).
 */
export function bucketIssuerUrl(bucket: string, region: string, prefix: string): string {
  const suffix = partitionOf(region) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${bucket}.s3.${region}.${suffix}${prefix === '' ? '' : `/${prefix}`}`;
}

/** `--prefix` as the bucket keys use it: no slashes at either end. */
export function normalisePrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/^\/+|\/+$/g, '');
}

/** The bucket-policy statement's Sid: one per prefix, so several clusters can share one bucket. */
export function publicReadSid(prefix: string): string {
  const hash = createHash('sha256').update(normalisePrefix(prefix)).digest('hex');
  return `IrsaIssuerPublicRead${hash.slice(0, 12)}`;
}

/** The two public documents' keys, then the exposed-kids record's (not public). */
export function documentKeys(prefix: string): { discovery: string; jwks: string; exposedKids: string } {
  return {
    discovery: objectKey(prefix, discoveryPath),
    jwks: objectKey(prefix, jwksPath),
    exposedKids: objectKey(prefix, exposedKidsPath),
  };
}

export function bucketArn(partition: Partition, bucket: string): string {
  return `arn:${partition}:s3:::${bucket}`;
}

export function objectArn(partition: Partition, bucket: string, key: string): string {
  return `arn:${partition}:s3:::${bucket}/${key}`;
}

/** `arn:PARTITION:iam::ACCOUNT:oidc-provider/HOST/PATH`. */
export function providerArn(partition: Partition, account: string, issuer: Issuer): string {
  return `arn:${partition}:iam::${account}:oidc-provider/${issuer.providerName}`;
}

export function roleArn(partition: Partition, account: string, roleName: string): string {
  return `arn:${partition}:iam::${account}:role/${roleName}`;
}

/** IAM's limit on a role name. */
export const maxRoleNameLength = 64;

/** `--cluster-name` when none is given: the prefix's last segment, else the bucket's name. */
export function defaultClusterName(bucket: string, prefix: string): string {
  const segments = normalisePrefix(prefix).split('/');
  const last = segments.at(-1) ?? '';
  return last === '' ? bucket : last;
}

/** The publisher role's name when `--role-name` is not given. */
export function defaultRoleName(cluster: string): string {
  return `irsa-issuer-${cluster}`.slice(0, maxRoleNameLength);
}

/** The publisher role's one inline policy. */
export const publisherPolicyName = 'irsa-issuer-publisher';

/** The `sub` of a service account's token. */
export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

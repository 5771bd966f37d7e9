/**
 * teardown's planner: reads everything it would touch and decides, changing nothing. Every refusal
 * is found here, before the applier deletes anything.
 */
import { readProvider, type ActualProvider } from '../iam/index.js';
import type { Issuer } from '../issuer.js';
import { isManagedFor, issuerTag, managedByTag, managedByValue, publicReadSid } from './names.js';
import { readRole, rolesTrusting, type ActualRole } from './teardown-iam.js';
import {
  bucketTags,
  listVersions,
  ownKeys,
  ownVersions,
  policyWithout,
  publishedIssuer,
  type ObjectVersion,
} from './teardown-s3.js';
import type { TeardownClients, TeardownItem, TeardownPlan, TeardownRefusal, TeardownRequest } from './teardown.js';

/** What the planner has found so far. */
interface Findings {
  readonly items: TeardownItem[];
  readonly refusals: TeardownRefusal[];
  readonly warnings: string[];
}

function tagsText(tags: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(tags).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? 'no tags' : `tags ${pairs.join(', ')}`;
}

function notOurs(what: string, tags: Readonly<Record<string, string>>, issuer: Issuer): string {
  return (
    `${what} exists but was not made by bootstrap for ${issuer.url}: it carries ${tagsText(tags)}, not ` +
    `${managedByTag}=${managedByValue} with ${issuerTag}=${issuer.url}. Nothing was deleted; remove it ` +
    'yourself if it should go, or pass --role-name for the role bootstrap did make.'
  );
}

function count(versions: readonly ObjectVersion[]): string {
  const markers = versions.filter((version) => version.deleteMarker).length;
  const plain = versions.length - markers;
  const parts = [`${plain} version${plain === 1 ? '' : 's'}`];
  if (markers > 0) parts.push(`${markers} delete marker${markers === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/** The publisher role, when it is ours to delete. */
async function planRole(request: TeardownRequest, clients: TeardownClients, found: Findings) {
  const { issuer } = request;
  const role = await readRole(clients.iam, request.roleName);
  if (role === undefined) {
    found.items.push({ kind: 'role', resource: request.roleName, action: 'absent', detail: 'no role of that name' });
    return undefined;
  }
  if (!isManagedFor(role.tags, issuer.url)) {
    found.refusals.push({ resource: role.arn, reason: notOurs(`The role ${role.name}`, role.tags, issuer) });
    found.items.push({ kind: 'role', resource: role.arn, action: 'keep', detail: 'not made by bootstrap' });
    return undefined;
  }
  const inline = role.inlinePolicies.length === 0 ? 'none' : role.inlinePolicies.join(', ');
  const attached = role.attachedPolicyArns.length === 0 ? 'none' : role.attachedPolicyArns.join(', ');
  found.items.push({
    kind: 'role',
    resource: role.arn,
    action: 'delete',
    detail: `inline policies: ${inline}; managed policies detached: ${attached}`,
  });
  return role;
}

/** The provider, when it is ours and no role but the publisher's trusts it (or --force). */
async function planProvider(
  request: TeardownRequest,
  clients: TeardownClients,
  role: ActualRole | undefined,
  found: Findings,
): Promise<{ provider?: ActualProvider; deleting: boolean }> {
  const { issuer } = request;
  const provider = await readProvider(issuer, clients.iam);
  if (provider === undefined) {
    found.items.push({ kind: 'provider', resource: issuer.providerName, action: 'absent', detail: 'no provider' });
    return { deleting: false };
  }
  if (!isManagedFor(provider.tags, issuer.url)) {
    found.refusals.push({
      resource: provider.arn,
      reason: notOurs(`The OIDC provider ${provider.arn}`, provider.tags, issuer),
    });
    found.items.push({ kind: 'provider', resource: provider.arn, action: 'keep', detail: 'not made by bootstrap' });
    return { provider, deleting: false };
  }
  const trusting = (await rolesTrusting(clients.iam, provider.arn)).filter((name) => name !== role?.name);
  const names = trusting.join(', ');
  const one = trusting.length === 1;
  if (trusting.length > 0 && !request.force) {
    found.refusals.push({
      resource: provider.arn,
      reason:
        `The OIDC provider ${provider.arn} is still trusted by role${one ? '' : 's'} ${names}: deleting it makes ` +
        `${one ? 'that role' : 'them'} impossible to assume with this issuer's tokens. Nothing was deleted. Delete ` +
        'or re-point them first, or pass --force to delete the provider anyway. (If one is the publisher role, made ' +
        `under another name than ${request.roleName}, pass --role-name.)`,
    });
    found.items.push({ kind: 'provider', resource: provider.arn, action: 'keep', detail: `trusted by ${names}` });
    return { provider, deleting: false };
  }
  if (trusting.length > 0) {
    found.warnings.push(
      `--force: the provider is deleted although ${names} trust${one ? 's' : ''} it; tokens of this issuer can no ` +
        `longer assume ${one ? 'it' : 'them'}.`,
    );
  }
  found.items.push({ kind: 'provider', resource: provider.arn, action: 'delete', detail: tagsText(provider.tags) });
  return { provider, deleting: true };
}

/** Our keys' versions and our policy statement; the bucket itself only with --delete-bucket. */
async function planBucket(
  request: TeardownRequest,
  clients: TeardownClients,
  providerRemains: boolean,
  found: Findings,
): Promise<{ versions: readonly ObjectVersion[]; sid?: string; deleteBucket: boolean }> {
  const { issuer, bucket, prefix } = request;
  const where = `s3://${bucket}`;
  const versions = await ownVersions(clients.s3, bucket, prefix);
  if (versions === undefined) {
    found.items.push({ kind: 'bucket', resource: where, action: 'absent', detail: 'no such bucket' });
    return { versions: [], deleteBucket: false };
  }

  const named = await publishedIssuer(clients.s3, bucket, prefix);
  const foreign = named !== undefined && named !== issuer.url;
  if (foreign) {
    const discovery = `${where}/${ownKeys(prefix)[0] ?? ''}`;
    found.refusals.push({
      resource: discovery,
      reason:
        `The discovery document at ${discovery} names the issuer ${named}, not ${issuer.url}: this prefix is ` +
        'published for another issuer (a CloudFront or custom-domain URL), and deleting its documents would lock ' +
        'out every workload that trusts it. Nothing was deleted.',
    });
  }
  for (const key of ownKeys(prefix)) {
    const mine = versions.filter((version) => version.key === key);
    const resource = `${where}/${key}`;
    if (mine.length === 0) found.items.push({ kind: 'objects', resource, action: 'absent', detail: 'no version' });
    else found.items.push({ kind: 'objects', resource, action: foreign ? 'keep' : 'delete', detail: count(mine) });
  }

  const sid = publicReadSid(prefix);
  const change = await policyWithout(clients.s3, bucket, sid);
  if (change === undefined) {
    found.items.push({ kind: 'bucket-policy', resource: where, action: 'absent', detail: `no statement ${sid}` });
  } else {
    const others = change.remaining.length;
    found.items.push({
      kind: 'bucket-policy',
      resource: where,
      action: 'delete',
      detail:
        others === 0
          ? `statement ${sid}, the only one: the bucket policy is deleted`
          : `statement ${sid}; ${others === 1 ? 'the 1 other statement stays' : `the ${others} other statements stay`}`,
    });
  }
  const planned = { versions, ...(change === undefined ? {} : { sid }) };

  if (!request.deleteBucket) {
    found.items.push({ kind: 'bucket', resource: where, action: 'keep', detail: 'kept (--delete-bucket deletes it)' });
    return { ...planned, deleteBucket: false };
  }
  const reasons = await bucketRefusals(request, clients, versions, providerRemains);
  if (reasons.length > 0) {
    found.refusals.push({
      resource: where,
      reason: `--delete-bucket: the bucket ${where} stays, because ${reasons.join('; and ')}. Nothing was deleted.`,
    });
    found.items.push({ kind: 'bucket', resource: where, action: 'keep', detail: 'refused' });
    return { ...planned, deleteBucket: false };
  }
  found.items.push({ kind: 'bucket', resource: where, action: 'delete', detail: 'empty once the above are gone' });
  found.warnings.push(
    `Deleting ${where} frees its name: anyone can create a bucket with it and serve their own keys at ` +
      `${issuer.url}. Any IAM OIDC provider for that issuer left in another account would trust them: delete those ` +
      'first.',
  );
  return { ...planned, deleteBucket: true };
}

/** Why `--delete-bucket` may not delete the bucket: not ours, not empty, or a provider still trusts what it serves. */
async function bucketRefusals(
  request: TeardownRequest,
  clients: TeardownClients,
  ours: readonly ObjectVersion[],
  providerRemains: boolean,
): Promise<string[]> {
  const reasons: string[] = [];
  const tags = await bucketTags(clients.s3, request.bucket);
  if (tags[managedByTag] !== managedByValue) {
    reasons.push(`it does not carry the tag ${managedByTag}=${managedByValue} (bootstrap did not create it)`);
  }
  const own = new Set(ours.map((version) => `${version.key}\u0000${version.versionId}`));
  const others = ((await listVersions(clients.s3, request.bucket, '')) ?? []).filter(
    (version) => !own.has(`${version.key}\u0000${version.versionId}`),
  );
  if (others.length > 0) {
    const keys = [...new Set(others.map((version) => version.key))];
    const sample = keys.slice(0, 3).join(', ') + (keys.length > 3 ? ', ...' : '');
    reasons.push(
      `it holds ${others.length} other object version${others.length === 1 ? '' : 's'} or delete marker` +
        `${others.length === 1 ? '' : 's'} (${sample}) that teardown does not delete`,
    );
  }
  if (providerRemains) {
    reasons.push(
      `the IAM OIDC provider for ${request.issuer.url} remains, and would trust whoever re-creates the bucket name`,
    );
  }
  return reasons;
}

/** Reads everything teardown would touch and decides; changes nothing. */
export async function planTeardown(request: TeardownRequest, clients: TeardownClients): Promise<TeardownPlan> {
  const found: Findings = { items: [], refusals: [], warnings: [] };
  const role = await planRole(request, clients, found);
  const { provider, deleting } = await planProvider(request, clients, role, found);
  const bucket = await planBucket(request, clients, provider !== undefined && !deleting, found);
  return {
    report: {
      issuer: request.issuer.url,
      bucket: request.bucket,
      prefix: request.prefix,
      role: request.roleName,
      applied: false,
      ...found,
    },
    ...(role === undefined ? {} : { role }),
    ...(provider !== undefined && deleting ? { providerArn: provider.arn } : {}),
    ...bucket,
  };
}

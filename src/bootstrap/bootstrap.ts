/**
 * `irsa-issuer bootstrap`: plan everything read-only (the bucket, the provider's owner, the
 * publisher role, and sync's own guards on a dry run of sync), refuse before the first write, then
 * apply: the bucket, the first publish with sync itself (registration and verify included), and
 * the publisher role, which trusts the provider sync just made.
 */
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClusterReader } from '../cluster/index.js';
import type { ClusterIssuerMetadata } from '../documents/index.js';
import { describeCause, IamError, IrsaIssuerError, IssuerMismatchError, RunFailedError } from '../errors.js';
import { defaultAudience, type Issuer } from '../issuer.js';
import { readProvider, type ProviderApi } from '../iam/index.js';
import type { Logger } from '../log.js';
import { loadS3, type ObjectStore } from '../publish/index.js';
import type { RunReport } from '../report.js';
import { sync, type SyncRequest } from '../sync.js';
import type { JwksHostProbe } from '../thumbprint/index.js';
import { applyBucket, planBucket, type AccountApi, type BucketPlan, type BucketRequest } from './bucket.js';
import { isManaged, managedTags, providerArn, publisherPolicyName, roleArn, type Partition } from './names.js';
import { nextSteps } from './next.js';
import { publisherPolicy, trustPolicy } from './policies.js';
import { BootstrapFailedError, type BootstrapPart, type BootstrapReport, type RegistrarPart } from './report.js';
import { applyRole, planRole, type RoleApi, type RolePlan, type RoleSpec } from './role.js';
import { ensureRegistrarRole, registrarRole, type RegistrarSpec } from './registrar.js';
import type { AccountRole } from '../accounts/index.js';

export interface BootstrapRequest {
  /** `https://B.s3.R.amazonaws.com[/P]` (tests: a TLS host in front of the bucket). */
  readonly issuer: Issuer;
  readonly bucket: string;
  /** `''` or `a/b`. */
  readonly prefix: string;
  readonly region: string;
  readonly partition: Partition;
  readonly cluster: string;
  readonly roleName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly allowPublicPolicy: boolean;
  readonly allowIssuerMismatch: boolean;
  /** Whether the keys come from PEM files (the refusal then cannot advise --public-key-file). */
  readonly keysFromFiles: boolean;
  readonly dryRun: boolean;
  /** sync's `--verify`; absent: `--no-verify`. */
  readonly verify?: SyncRequest['verify'];
  readonly pinnedThumbprints: readonly string[];
  readonly cacheControl: string;
  readonly stageTimeoutMs?: number;
  /**
   * `--account-role`: the registrar role the in-cluster job assumes in each other account. The
   * publisher role may assume them; with `createRegistrarRoles` bootstrap creates them too.
   */
  readonly accountRoles?: readonly AccountRole[];
  readonly createRegistrarRoles?: boolean;
}

export interface BootstrapClients {
  readonly cluster: ClusterReader;
  readonly s3: S3Client;
  /** S3 Control, for the account's Block Public Access; absent for an S3-compatible endpoint. */
  readonly account?: AccountApi;
  readonly iam: ProviderApi & RoleApi;
  readonly sts: Pick<STSClient, 'send'>;
  readonly probe: JwksHostProbe;
  readonly logger: Logger;
  /** IAM in another account with the caller's own (admin) credentials there: `--create-registrar-roles`. */
  readonly iamIn?: (account: string) => Promise<RoleApi>;
}

async function callerAccount(sts: BootstrapClients['sts']): Promise<string> {
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (identity.Account !== undefined) return identity.Account;
  } catch (error) {
    throw new IamError(
      `sts:GetCallerIdentity failed: ${describeCause(error).replace(/\.$/, '')}. bootstrap needs the account ID for ` +
        'the provider and role ARNs: check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and the network.',
      { cause: error },
    );
  }
  throw new IamError('sts:GetCallerIdentity answered without an account ID; check the STS endpoint.');
}

/** Reads nothing, holds nothing: what a bucket that does not exist yet holds under the prefix. */
const emptyStore = (description: string): ObjectStore => ({
  description,
  get: () => Promise.resolve(undefined),
  put: () => Promise.reject(new Error('a dry run writes nothing')),
});

function mismatchAdvice(error: IssuerMismatchError, request: BootstrapRequest): IssuerMismatchError {
  const advice = request.keysFromFiles
    ? 'bootstrap before the API server is reconfigured: pass --allow-issuer-mismatch to publish for the new issuer now.'
    : "bootstrap before the API server is reconfigured: pass --public-key-file with the cluster's service-account " +
      'public key(s) (kubeadm: /etc/kubernetes/pki/sa.pub), or --allow-issuer-mismatch to publish the keys the API ' +
      'server serves for the new issuer now; then set the flags above.';
  return new IssuerMismatchError(`${error.message}\n${advice}`, { cause: error });
}

export async function bootstrap(request: BootstrapRequest, clients: BootstrapClients): Promise<BootstrapReport> {
  const { issuer, partition } = request;
  const log = clients.logger.child({ stage: 'bootstrap' });
  const account = await callerAccount(clients.sts);
  const tags = managedTags(request.cluster, issuer.url);
  const warnings: string[] = [];

  // Plan: every read and every refusal before the first write.
  const bucketRequest: BucketRequest = { ...request, account, tags };
  const bucketPlan = await planBucket(bucketRequest, clients.s3, clients.account);
  warnings.push(...bucketPlan.warnings);

  const existing = await readProvider(issuer, clients.iam);
  // A provider someone else made keeps its tags: marking it ours would let teardown delete it.
  const providerTags = existing !== undefined && !isManaged(existing.tags) ? {} : tags;
  if (existing !== undefined && !isManaged(existing.tags)) {
    warnings.push(
      `The IAM OIDC provider ${existing.arn} exists and irsa-issuer did not create it: it is reconciled (thumbprints, ` +
        "audience) but not tagged as irsa-issuer's, so teardown will leave it.",
    );
  }

  const place = { partition, bucket: request.bucket, prefix: request.prefix };
  const roleSpec: RoleSpec = {
    name: request.roleName,
    issuerUrl: issuer.url,
    description: `Assumed by the in-cluster job of cluster ${request.cluster}, which publishes the issuer documents of ${issuer.url}`,
    trust: trustPolicy({
      issuer,
      partition,
      account,
      namespace: request.namespace,
      serviceAccount: request.serviceAccount,
      audience: defaultAudience,
      sid: 'IrsaIssuerJob',
    }),
    inlinePolicy: {
      name: publisherPolicyName,
      document: publisherPolicy(
        place,
        account,
        issuer,
        (request.accountRoles ?? []).map((role) => role.roleArn),
      ),
    },
    managedPolicyArns: [],
    tags,
  };
  const rolePlan = await planRole(roleSpec, clients.iam);

  let clusterIssuer: string | undefined;
  const cluster: ClusterReader = {
    read: async (): Promise<ClusterIssuerMetadata> => {
      const metadata = await clients.cluster.read();
      clusterIssuer = metadata.issuer;
      return metadata;
    },
  };
  const syncRequest = (dryRun: boolean): SyncRequest => ({
    issuer,
    audiences: [defaultAudience],
    allowIssuerMismatch: request.allowIssuerMismatch,
    allowKeyReplacement: false,
    cacheControl: request.cacheControl,
    dryRun,
    register: {
      pinnedThumbprints: request.pinnedThumbprints,
      tags: providerTags,
      pruneAudiences: false,
      pruneThumbprints: false,
      provider: clients.iam,
      probe: clients.probe,
    },
    ...(request.verify === undefined || dryRun ? {} : { verify: request.verify }),
    ...(request.stageTimeoutMs === undefined ? {} : { stageTimeoutMs: request.stageTimeoutMs }),
  });
  const { S3Store } = await loadS3();
  const store = new S3Store(clients.s3, request.bucket, request.prefix);
  let preview: RunReport;
  try {
    // sync's guards (issuer mismatch, another issuer's documents, a key set replaced) on a dry run.
    preview = await sync(syncRequest(true), {
      cluster,
      store: bucketPlan.create ? emptyStore(store.description) : store,
      logger: clients.logger,
    });
  } catch (error) {
    const cause = error instanceof RunFailedError ? error.cause : error;
    if (cause instanceof IssuerMismatchError) throw mismatchAdvice(cause, request);
    throw error;
  }

  const arnOfProvider = providerArn(partition, account, issuer);
  const arnOfRole = rolePlan.arn ?? roleArn(partition, account, request.roleName);
  const next = () =>
    nextSteps(issuer, clusterIssuer, {
      issuer,
      region: request.region,
      roleArn: arnOfRole,
      namespace: request.namespace,
      serviceAccount: request.serviceAccount,
      // The external ID is the role owner's secret against a confused deputy: never printed.
      accountRoles: (request.accountRoles ?? []).map((role) =>
        role.externalId === undefined ? role.roleArn : `${role.roleArn}#EXTERNAL_ID`,
      ),
    });
  const base = {
    command: 'bootstrap' as const,
    issuer: issuer.url,
    account,
    cluster: request.cluster,
    bucket: request.bucket,
    prefix: request.prefix,
    region: request.region,
    dryRun: request.dryRun,
    provider: { arn: existing?.arn ?? arnOfProvider },
  };
  if (request.dryRun) {
    const planned = await registrars(request, clients, arnOfRole);
    return {
      ...base,
      bucketStep: bucketPart(bucketPlan, 'planned'),
      sync: preview,
      role: { ...rolePart(rolePlan, 'planned'), name: request.roleName, arn: arnOfRole },
      registrars: planned,
      warnings: [...warnings, ...preview.warnings],
      changed:
        bucketPlan.changes.length > 0 ||
        preview.changed ||
        rolePlan.changes.length > 0 ||
        planned.some((part) => part.changes.length > 0),
      next: next(),
    };
  }

  // Apply, in the order that makes each part usable: bucket, documents + provider, role.
  const written: string[] = [];
  const changed = (change: string) => {
    written.push(change);
  };
  let report: RunReport;
  try {
    await applyBucket(bucketPlan, bucketRequest, clients.s3, changed);
    log.info({ bucket: request.bucket, changes: bucketPlan.changes.length }, 'bucket ready');
    report = await sync(syncRequest(false), { cluster, store, logger: clients.logger });
  } catch (error) {
    if (error instanceof RunFailedError) {
      const syncWrites = error.report.steps.flatMap((step) => (step.status === 'failed' ? step.changes : []));
      throw new BootstrapFailedError(error, [...written, ...syncWrites], error.report);
    }
    if (error instanceof IrsaIssuerError) throw new BootstrapFailedError(error, written);
    throw error;
  }
  const syncWrites = report.steps.flatMap((step) => (step.status === 'changed' ? step.changes : []));
  let arn: string;
  try {
    arn = await applyRole(rolePlan, roleSpec, clients.iam, changed);
  } catch (error) {
    if (error instanceof IrsaIssuerError) throw new BootstrapFailedError(error, [...written, ...syncWrites], report);
    throw error;
  }
  const publisherArn = arn === '' ? arnOfRole : arn;
  let registrarParts: readonly RegistrarPart[];
  try {
    registrarParts = await registrars(request, clients, publisherArn);
  } catch (error) {
    if (error instanceof IrsaIssuerError) throw new BootstrapFailedError(error, [...written, ...syncWrites], report);
    throw error;
  }
  return {
    ...base,
    bucketStep: bucketPart(bucketPlan, 'changed'),
    sync: report,
    role: { ...rolePart(rolePlan, 'changed'), name: request.roleName, arn: publisherArn },
    registrars: registrarParts,
    warnings: [...warnings, ...report.warnings],
    changed:
      bucketPlan.changes.length > 0 ||
      report.changed ||
      rolePlan.changes.length > 0 ||
      registrarParts.some((part) => part.changes.length > 0),
    next: next(),
  };
}

/**
 * The registrar role of each `--account-role`: its documents always, and with
 * `createRegistrarRoles` created (or brought up to date) in its account, with the caller's credentials
 * there; otherwise a person creates it (terraform/modules/registrar) from what the report prints.
 */
async function registrars(
  request: BootstrapRequest,
  clients: BootstrapClients,
  publisherRoleArn: string,
): Promise<readonly RegistrarPart[]> {
  const parts: RegistrarPart[] = [];
  for (const role of request.accountRoles ?? []) {
    const spec: RegistrarSpec = {
      issuer: request.issuer,
      clusterName: request.cluster,
      account: role.account,
      partition: request.partition,
      publisherRoleArn,
      roleName: role.roleArn.slice(role.roleArn.lastIndexOf('/') + 1),
      ...(role.externalId === undefined ? {} : { externalId: role.externalId }),
    };
    // What is printed says EXTERNAL_ID where the role demands one: the value itself is never printed.
    const printed = registrarRole(role.externalId === undefined ? spec : { ...spec, externalId: 'EXTERNAL_ID' });
    const base = {
      account: role.account,
      roleArn: printed.roleArn,
      trustPolicy: printed.trustPolicy,
      permissions: printed.permissions,
    };
    if (request.createRegistrarRoles !== true || clients.iamIn === undefined) {
      parts.push({ ...base, status: 'not created', changes: [] });
      continue;
    }
    const outcome = await ensureRegistrarRole(await clients.iamIn(role.account), spec, { dryRun: request.dryRun });
    parts.push({ ...base, status: outcome.status, changes: outcome.changes });
  }
  return parts;
}

function bucketPart(plan: BucketPlan, status: 'planned' | 'changed'): BootstrapPart {
  const summary = plan.create
    ? 'created, versioned, Block Public Access for ACLs only, public read of the two documents'
    : plan.changes.length === 0
      ? 'already serves the two documents publicly'
      : `${plan.changes.length} change(s) to the existing bucket`;
  return {
    status: plan.changes.length === 0 ? 'unchanged' : status,
    summary: status === 'planned' && plan.create ? 'to be created' : summary,
    changes: plan.changes,
    notes: plan.notes,
  };
}

function rolePart(plan: RolePlan, status: 'planned' | 'changed'): BootstrapPart {
  return {
    status: plan.changes.length === 0 ? 'unchanged' : status,
    summary:
      plan.changes.length === 0
        ? `${plan.name} already up to date`
        : `${plan.changes.length} change(s) to ${plan.name}`,
    changes: plan.changes.map((change) => change.description),
    notes: plan.notes,
  };
}

/**
 * The policy documents bootstrap and trust-policy write: a role's trust in this issuer's provider,
 * the publisher's least-privilege inline policy (the same one terraform/publisher.tf writes, from
 * the same action list), and the bucket's anonymous read of the two documents.
 */
import publisherActions from '../../terraform/publisher-actions.json' with { type: 'json' };
import { defaultAudience, type Issuer } from '../issuer.js';
import {
  bucketArn,
  documentKeys,
  objectArn,
  providerArn,
  publicReadSid,
  serviceAccountSubject,
  type Partition,
} from './names.js';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface TrustRequest {
  readonly issuer: Issuer;
  readonly partition: Partition;
  readonly account: string;
  readonly namespace: string;
  /** `*` trusts every service account of the namespace (StringLike). */
  readonly serviceAccount: string;
  readonly audience?: string;
  readonly sid?: string;
}

/**
 * `sts:AssumeRoleWithWebIdentity` from this issuer's provider for one service account and audience.
 * The condition keys are the provider's name (`HOST/PATH`) with `:sub` and `:aud`. A wildcard
 * service account needs StringLike (StringEquals would compare the `*` literally); the audience
 * stays StringEquals either way.
 */
export function trustPolicy(request: TrustRequest): PolicyDocument {
  const name = request.issuer.providerName;
  const subject = serviceAccountSubject(request.namespace, request.serviceAccount);
  const audience = { [`${name}:aud`]: request.audience ?? defaultAudience };
  const condition = request.serviceAccount.includes('*')
    ? { StringLike: { [`${name}:sub`]: subject }, StringEquals: audience }
    : { StringEquals: { [`${name}:sub`]: subject, ...audience } };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        ...(request.sid === undefined ? {} : { Sid: request.sid }),
        Effect: 'Allow',
        Principal: { Federated: providerArn(request.partition, request.account, request.issuer) },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: condition,
      },
    ],
  };
}

export interface BucketPlace {
  readonly partition: Partition;
  readonly bucket: string;
  /** `''` or `a/b`. */
  readonly prefix: string;
}

/** The two public documents' ARNs, discovery first. */
export function documentArns(place: BucketPlace): [string, string] {
  const keys = documentKeys(place.prefix);
  return [
    objectArn(place.partition, place.bucket, keys.discovery),
    objectArn(place.partition, place.bucket, keys.jwks),
  ];
}

/** Anyone may GET exactly the two documents; nothing else in the bucket. */
export function publicReadStatement(place: BucketPlace): PolicyStatement {
  return {
    Sid: publicReadSid(place.prefix),
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: documentArns(place),
  };
}

/**
 * What the in-cluster job may do, and no more (design: "the publisher's power"): read and write
 * the documents and the exposed-kids record, list only those keys, keep its one provider's
 * thumbprints, and find the provider. Creating providers, tags and audiences stays with whoever
 * bootstraps. The actions come from terraform/publisher-actions.json, which Terraform reads too.
 */
export function publisherPolicy(
  place: BucketPlace,
  account: string,
  issuer: Issuer,
  registrarRoleArns: readonly string[] = [],
): PolicyDocument {
  const keys = documentKeys(place.prefix);
  const allKeys = [keys.discovery, keys.jwks, keys.exposedKids];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadWriteIssuerDocuments',
        Effect: 'Allow',
        Action: publisherActions.objects,
        Resource: allKeys.map((key) => objectArn(place.partition, place.bucket, key)),
      },
      {
        Sid: 'ListIssuerDocuments',
        Effect: 'Allow',
        Action: publisherActions.bucket,
        Resource: bucketArn(place.partition, place.bucket),
        Condition: { StringEquals: { 's3:prefix': allKeys } },
      },
      {
        Sid: 'KeepOidcProviderThumbprint',
        Effect: 'Allow',
        Action: publisherActions.provider,
        Resource: providerArn(place.partition, account, issuer),
      },
      { Sid: 'FindOidcProvider', Effect: 'Allow', Action: publisherActions.account, Resource: '*' },
      // --account-role: the registrar role in each other account, to keep the provider there.
      ...(registrarRoleArns.length === 0
        ? []
        : [
            {
              Sid: 'EnterRegistrarRoles',
              Effect: 'Allow' as const,
              Action: 'sts:AssumeRole',
              Resource: registrarRoleArns,
            },
          ]),
    ],
  };
}

/**
 * A policy document as IAM or S3 hands it back (IAM URL-encodes it), or undefined when it is not
 * JSON at all.
 */
export function parsePolicy(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  for (const text of [raw, safeDecode(raw)]) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // try the next spelling
    }
  }
  return undefined;
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Two policies are the same when they grant the same: IAM and S3 may hand a document back with
 * keys reordered or a one-element list as a string, which is no change worth a write.
 */
export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    return items.length === 1 ? items[0] : items;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, canonical(record[key])]),
    );
  }
  return value;
}

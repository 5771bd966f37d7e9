/**
 * The published keys against the cluster's: STS can only verify a token whose `kid` it finds in the
 * public JWKS with the very key material the cluster signs with.
 */
import { calculateJwkThumbprint } from 'jose';
import type { ClusterReader } from '../cluster/index.js';
import { buildJwks, type JsonWebKeySet } from '../documents/index.js';
import { describeCause, GuardError } from '../errors.js';
import type { Issuer } from '../issuer.js';
import { failed, passed, type Check } from './check.js';
import { publishWith } from './commands.js';
import type { PublishedJwks } from './documents.js';

/** What the cluster (or PEM files) says, validated. */
export interface ClusterKeys {
  readonly jwks: JsonWebKeySet;
  /** The cluster's own issuer; absent for PEM files. */
  readonly issuer?: string;
  readonly source: string;
}

export type ClusterKeysResult =
  { readonly ok: true; readonly value: ClusterKeys } | { readonly ok: false; readonly check: Check };

/** Reads and validates the cluster's keys once; a failure becomes the `keys` check. */
export async function readClusterKeys(reader: ClusterReader): Promise<ClusterKeysResult> {
  try {
    const metadata = await reader.read();
    const { jwks } = await buildJwks(metadata.keys, metadata.source);
    return {
      ok: true,
      value: { jwks, source: metadata.source, ...(metadata.issuer === undefined ? {} : { issuer: metadata.issuer }) },
    };
  } catch (error) {
    // A key set sync refuses to publish (a curve STS does not take, private material) is no access problem.
    if (error instanceof GuardError) {
      return {
        ok: false,
        check: failed(
          'keys',
          `the cluster's keys are not ones STS accepts: ${error.message}`,
          'Do what the message says: sync refuses to publish these keys the same way (exit 3), and STS would refuse ' +
            'tokens signed with them.',
        ),
      };
    }
    return {
      ok: false,
      check: failed(
        'keys',
        `could not read the cluster's keys to compare: ${describeCause(error)}`,
        'Fix the cluster access named above, or run verify without --kubeconfig/--context to check the ' +
          'public side only.',
      ),
    };
  }
}

/**
 * The RFC 7638 thumbprint: a hash over exactly the members that make up the key, so two renderings
 * of one key compare equal. Undefined for something that is no key jose can read.
 */
async function material(key: object): Promise<string | undefined> {
  try {
    return await calculateJwkThumbprint(key);
  } catch {
    return undefined;
  }
}

function kidOf(key: Readonly<Record<string, unknown>>): string | undefined {
  return typeof key.kid === 'string' ? key.kid : undefined;
}

/** 4. Every cluster key published with the same material; extra published keys only warn. */
export async function checkKeys(issuer: Issuer, cluster: ClusterKeys, published: PublishedJwks): Promise<Check> {
  const publishedByKid = new Map<string, Readonly<Record<string, unknown>>>();
  for (const key of published.keys) {
    const kid = kidOf(key);
    if (kid !== undefined) publishedByKid.set(kid, key);
  }
  const clusterKids = new Set(cluster.jwks.keys.map((key) => key.kid));
  const missing = cluster.jwks.keys.filter((key) => !publishedByKid.has(key.kid)).map((key) => key.kid);
  const differing: string[] = [];
  for (const key of cluster.jwks.keys) {
    const twin = publishedByKid.get(key.kid);
    if (twin !== undefined && (await material(twin)) !== (await material(key))) differing.push(key.kid);
  }
  const extra = [...publishedByKid.keys()].filter((kid) => !clusterKids.has(kid));
  const warnings =
    extra.length === 0
      ? []
      : [
          `Published key(s) the cluster does not have: kid ${extra.join(', ')}. STS still trusts tokens signed by ` +
            `them; if they were retired (or leaked), withdraw them by publishing again with ${publishWith(issuer)}.`,
        ];
  const sync = publishWith(issuer);
  if (missing.length > 0 || differing.length > 0) {
    const problems = [
      ...(missing.length > 0
        ? [
            `the public JWKS lacks the cluster's kid ${missing.join(', ')} (STS rejects tokens signed with ` +
              `${missing.length === 1 ? 'it' : 'them'})`,
          ]
        : []),
      ...(differing.length > 0
        ? [
            `kid ${differing.join(', ')} is published with other key material than the cluster's (signatures will ` +
              `not verify)`,
          ]
        : []),
    ];
    return failed(
      'keys',
      `${problems.join('; ')}; compared with ${cluster.source}`,
      `Publish the cluster's current keys with ${sync}; after a signing-key rotation, publish before the new key ` +
        `signs tokens. If this is the wrong cluster, pick the right one with --kubeconfig/--context.`,
      warnings,
    );
  }
  return passed(
    'keys',
    `all ${clusterKids.size} key(s) of ${cluster.source} are published, same material (kid ` +
      `${[...clusterKids].join(', ')})`,
    warnings,
  );
}

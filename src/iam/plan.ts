import { maxThumbprints, unique, validateDesiredProvider } from './limits.js';
import type { ActualProvider, DesiredProvider } from './provider.js';

export type ProviderChange =
  | {
      readonly kind: 'create';
      /** The issuer URL, `https://HOST/PATH`, as CreateOpenIDConnectProvider takes it. */
      readonly url: string;
      readonly clientIds: readonly string[];
      readonly thumbprints: readonly string[];
      readonly tags: Readonly<Record<string, string>>;
      readonly description: string;
    }
  | {
      readonly kind: 'update-thumbprints';
      readonly from: readonly string[];
      readonly to: readonly string[];
      readonly description: string;
    }
  | { readonly kind: 'add-client-id'; readonly clientId: string; readonly description: string }
  | { readonly kind: 'remove-client-id'; readonly clientId: string; readonly description: string }
  | {
      /** Added or changed values only: TagOpenIDConnectProvider overwrites the keys it names. */
      readonly kind: 'tag';
      readonly tags: Readonly<Record<string, string>>;
      readonly description: string;
    };

export interface ProviderPlan {
  /** The issuer URL the provider is for. */
  readonly issuerUrl: string;
  /** `HOST/PATH`, the suffix of the provider's ARN. */
  readonly providerName: string;
  /** The existing provider's ARN; absent when the plan creates it. */
  readonly arn?: string;
  /** In the order they are applied. Empty: the provider is already as desired. */
  readonly changes: readonly ProviderChange[];
  /**
   * What the provider has that was not asked for and is left alone: audiences (unless
   * pruneAudiences) and tags (never removed: they may belong to someone else).
   */
  readonly kept: {
    /** Thumbprints staged by someone else (a certificate rotation), kept within IAM's five. */
    readonly thumbprints: readonly string[];
    readonly clientIds: readonly string[];
    readonly tags: Readonly<Record<string, string>>;
  };
}

export interface PlanOptions {
  /** Remove client IDs the provider has but the desired state does not list (`--prune-audiences`). */
  readonly pruneAudiences: boolean;
  /** Remove thumbprints the provider lists but the desired state does not (`--prune-thumbprints`). */
  readonly pruneThumbprints?: boolean;
}

function list(values: readonly string[]): string {
  return `[${values.join(', ')}]`;
}

function tagList(tags: Readonly<Record<string, string>>): string {
  return Object.keys(tags)
    .sort()
    .map((key) => `${key}=${tags[key] ?? ''}`)
    .join(', ');
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((value) => right.has(value));
}

/**
 * Pure: what must change for `actual` to become `desired`. Throws ConfigError when IAM would refuse
 * the desired provider. Order: thumbprints, then audiences added before any is removed (so tokens
 * for an audience being replaced keep working throughout), then tags.
 */
export function planProvider(
  desired: DesiredProvider,
  actual: ActualProvider | undefined,
  options: PlanOptions,
): ProviderPlan {
  validateDesiredProvider(desired);
  const { issuer } = desired;
  const clientIds = unique(desired.clientIds);
  const thumbprints = unique(desired.thumbprints);
  const base = { issuerUrl: issuer.url, providerName: issuer.providerName };

  if (actual === undefined) {
    const tags = { ...desired.tags };
    const parts = [`client IDs ${list(clientIds)}`, `thumbprints ${list(thumbprints)}`];
    if (Object.keys(tags).length > 0) parts.push(`tags ${tagList(tags)}`);
    return {
      ...base,
      changes: [
        {
          kind: 'create',
          url: issuer.url,
          clientIds,
          thumbprints,
          tags,
          description: `create provider ${issuer.url}: ${parts.join('; ')}`,
        },
      ],
      kept: { thumbprints: [], clientIds: [], tags: {} },
    };
  }

  const changes: ProviderChange[] = [];

  // IAM compares thumbprints as hex; a list someone typed in upper case is still the same list.
  // Extra ones (staged ahead of a certificate rotation) stay, as extra audiences and tags do, as
  // far as IAM's five allow after ours.
  const actualThumbprints = unique(actual.thumbprints.map((thumbprint) => thumbprint.toLowerCase()));
  const extraThumbprints = options.pruneThumbprints
    ? []
    : actualThumbprints.filter((thumbprint) => !thumbprints.includes(thumbprint));
  const keptThumbprints = extraThumbprints.slice(0, Math.max(0, maxThumbprints - thumbprints.length));
  const wantedThumbprints = [...thumbprints, ...keptThumbprints];
  if (!sameSet(actualThumbprints, wantedThumbprints)) {
    changes.push({
      kind: 'update-thumbprints',
      from: actual.thumbprints,
      to: wantedThumbprints,
      description: `thumbprints: ${list(actual.thumbprints)} → ${list(wantedThumbprints)}`,
    });
  }

  // Audiences are compared exactly: STS matches a token's "aud" byte for byte.
  for (const clientId of clientIds) {
    if (!actual.clientIds.includes(clientId)) {
      changes.push({ kind: 'add-client-id', clientId, description: `client ID: add ${clientId}` });
    }
  }
  const extraClientIds = unique(actual.clientIds.filter((clientId) => !clientIds.includes(clientId)));
  if (options.pruneAudiences) {
    for (const clientId of extraClientIds) {
      changes.push({
        kind: 'remove-client-id',
        clientId,
        description: `client ID: remove ${clientId} (--prune-audiences)`,
      });
    }
  }

  // IAM tag keys are case-insensitive (it keeps the case first written), so match them that way.
  const actualByKey = new Map(Object.entries(actual.tags).map(([key, value]) => [key.toLowerCase(), { key, value }]));
  const toTag: Record<string, string> = {};
  const tagParts: string[] = [];
  for (const key of Object.keys(desired.tags).sort()) {
    const value = desired.tags[key] ?? '';
    const existing = actualByKey.get(key.toLowerCase());
    if (existing === undefined) {
      toTag[key] = value;
      tagParts.push(`${key}=${value} (new)`);
    } else if (existing.value !== value) {
      toTag[key] = value;
      tagParts.push(`${key}: ${JSON.stringify(existing.value)} → ${JSON.stringify(value)}`);
    }
  }
  if (tagParts.length > 0) changes.push({ kind: 'tag', tags: toTag, description: `tags: ${tagParts.join(', ')}` });

  const desiredKeys = new Set(Object.keys(desired.tags).map((key) => key.toLowerCase()));
  const extraTags = Object.fromEntries(
    Object.entries(actual.tags).filter(([key]) => !desiredKeys.has(key.toLowerCase())),
  );

  return {
    ...base,
    arn: actual.arn,
    changes,
    kept: { thumbprints: keptThumbprints, clientIds: options.pruneAudiences ? [] : extraClientIds, tags: extraTags },
  };
}

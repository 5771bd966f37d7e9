import { describe, expect, it } from 'vitest';
import { parseIssuer } from '../../src/issuer.js';
import { ConfigError } from '../../src/errors.js';
import { planProvider } from '../../src/iam/plan.js';
import type { ActualProvider, DesiredProvider } from '../../src/iam/provider.js';

const issuer = parseIssuer('https://oidc.example.com/clusters/prod');
const arn = 'arn:aws:iam::123456789012:oidc-provider/oidc.example.com/clusters/prod';
const thumbA = 'a'.repeat(40);
const thumbB = 'b'.repeat(40);
const thumbC = 'c'.repeat(40);

function desired(overrides: Partial<DesiredProvider> = {}): DesiredProvider {
  return { issuer, clientIds: ['sts.amazonaws.com'], thumbprints: [thumbA], tags: { owner: 'platform' }, ...overrides };
}

function actual(overrides: Partial<ActualProvider> = {}): ActualProvider {
  return {
    arn,
    url: 'oidc.example.com/clusters/prod',
    clientIds: ['sts.amazonaws.com'],
    thumbprints: [thumbA],
    tags: { owner: 'platform' },
    ...overrides,
  };
}

const keep = { pruneAudiences: false };
const prune = { pruneAudiences: true, pruneThumbprints: true };

describe('planning the IAM OIDC provider', () => {
  it('creates a missing provider in one call with client IDs, thumbprints and tags', () => {
    const plan = planProvider(desired(), undefined, keep);
    expect(plan.arn).toBeUndefined();
    expect(plan.changes).toEqual([
      {
        kind: 'create',
        url: 'https://oidc.example.com/clusters/prod',
        clientIds: ['sts.amazonaws.com'],
        thumbprints: [thumbA],
        tags: { owner: 'platform' },
        description: `create provider https://oidc.example.com/clusters/prod: client IDs [sts.amazonaws.com]; thumbprints [${thumbA}]; tags owner=platform`,
      },
    ]);
    expect(plan.kept).toEqual({ thumbprints: [], clientIds: [], tags: {} });
  });

  it('plans nothing when the provider is already as desired', () => {
    const plan = planProvider(desired(), actual(), keep);
    expect(plan.changes).toEqual([]);
    expect(plan.arn).toBe(arn);
  });

  it('compares thumbprints as a set, ignoring order, duplicates and hex case', () => {
    const plan = planProvider(
      desired({ thumbprints: [thumbB, thumbA, thumbB] }),
      actual({ thumbprints: [thumbA.toUpperCase(), thumbB] }),
      keep,
    );
    expect(plan.changes).toEqual([]);
  });

  it('adds the desired thumbprints and keeps the ones someone staged, noting them', () => {
    const plan = planProvider(desired({ thumbprints: [thumbB, thumbC] }), actual(), keep);
    expect(plan.changes).toEqual([
      {
        kind: 'update-thumbprints',
        from: [thumbA],
        to: [thumbB, thumbC, thumbA],
        description: `thumbprints: [${thumbA}] → [${thumbB}, ${thumbC}, ${thumbA}]`,
      },
    ]);
    expect(plan.kept.thumbprints).toEqual([thumbA]);
  });

  it('plans nothing when the desired thumbprint is listed beside a staged one', () => {
    const plan = planProvider(desired(), actual({ thumbprints: [thumbA, thumbB] }), keep);
    expect(plan.changes).toEqual([]);
    expect(plan.kept.thumbprints).toEqual([thumbB]);
  });

  it('replaces the thumbprint list with the desired one with --prune-thumbprints', () => {
    const plan = planProvider(desired({ thumbprints: [thumbB, thumbC] }), actual(), {
      ...keep,
      pruneThumbprints: true,
    });
    expect(plan.changes.map((change) => change.description)).toEqual([
      `thumbprints: [${thumbA}] → [${thumbB}, ${thumbC}]`,
    ]);
    expect(plan.kept.thumbprints).toEqual([]);
  });

  it("keeps staged thumbprints only as far as IAM's five allow, ours first", () => {
    const staged = ['1', '2', '3', '4', '5'].map((digit) => digit.repeat(40));
    const plan = planProvider(desired({ thumbprints: [thumbB] }), actual({ thumbprints: staged }), keep);
    const change = plan.changes[0];
    expect(change?.kind === 'update-thumbprints' ? change.to : []).toEqual([thumbB, ...staged.slice(0, 4)]);
  });

  it('adds each missing audience', () => {
    const plan = planProvider(desired({ clientIds: ['sts.amazonaws.com', 'vault', 'argo'] }), actual(), keep);
    expect(plan.changes).toEqual([
      { kind: 'add-client-id', clientId: 'vault', description: 'client ID: add vault' },
      { kind: 'add-client-id', clientId: 'argo', description: 'client ID: add argo' },
    ]);
  });

  it('keeps an extra audience and reports it, unless audiences are pruned', () => {
    const current = actual({ clientIds: ['sts.amazonaws.com', 'legacy'] });
    const kept = planProvider(desired(), current, keep);
    expect(kept.changes).toEqual([]);
    expect(kept.kept.clientIds).toEqual(['legacy']);

    const pruned = planProvider(desired(), current, prune);
    expect(pruned.changes).toEqual([
      { kind: 'remove-client-id', clientId: 'legacy', description: 'client ID: remove legacy (--prune-audiences)' },
    ]);
    expect(pruned.kept.clientIds).toEqual([]);
  });

  it('compares audiences exactly, as STS compares "aud"', () => {
    const plan = planProvider(desired(), actual({ clientIds: ['STS.amazonaws.com'] }), prune);
    expect(plan.changes.map((change) => change.description)).toEqual([
      'client ID: add sts.amazonaws.com',
      'client ID: remove STS.amazonaws.com (--prune-audiences)',
    ]);
  });

  it('tags added and changed values in one change, and never removes a tag it did not set', () => {
    const plan = planProvider(
      desired({ tags: { owner: 'sre', cluster: 'prod' } }),
      actual({ tags: { owner: 'platform', 'cost-center': '42' } }),
      keep,
    );
    expect(plan.changes).toEqual([
      {
        kind: 'tag',
        tags: { cluster: 'prod', owner: 'sre' },
        description: 'tags: cluster=prod (new), owner: "platform" → "sre"',
      },
    ]);
    expect(plan.kept.tags).toEqual({ 'cost-center': '42' });
  });

  it('matches tag keys regardless of case, as IAM does', () => {
    const plan = planProvider(desired({ tags: { Owner: 'platform' } }), actual({ tags: { owner: 'platform' } }), keep);
    expect(plan.changes).toEqual([]);
    expect(plan.kept.tags).toEqual({});
  });

  it('orders changes: thumbprints, audiences added, audiences removed, tags', () => {
    const plan = planProvider(
      desired({ thumbprints: [thumbB], clientIds: ['sts.amazonaws.com', 'new'], tags: { owner: 'sre' } }),
      actual({ clientIds: ['old', 'sts.amazonaws.com'] }),
      prune,
    );
    expect(plan.changes.map((change) => change.kind)).toEqual([
      'update-thumbprints',
      'add-client-id',
      'remove-client-id',
      'tag',
    ]);
    expect(plan.changes.map((change) => change.description)).toEqual([
      `thumbprints: [${thumbA}] → [${thumbB}]`,
      'client ID: add new',
      'client ID: remove old (--prune-audiences)',
      'tags: owner: "platform" → "sre"',
    ]);
  });

  it('is pure: the same inputs give the same plan and the inputs are untouched', () => {
    const want = desired({ thumbprints: [thumbB] });
    const have = actual();
    const snapshot = JSON.stringify([want, have]);
    expect(planProvider(want, have, keep)).toEqual(planProvider(want, have, keep));
    expect(JSON.stringify([want, have])).toBe(snapshot);
  });

  describe('refuses what IAM would refuse, before any call', () => {
    it.each([
      ['an upper-case thumbprint', { thumbprints: [thumbA.toUpperCase()] }, /not 40 lower-case hex/],
      ['a short thumbprint', { thumbprints: ['abc'] }, /not 40 lower-case hex/],
      ['no thumbprint', { thumbprints: [] }, /1 to 5 thumbprints; 0 were given/],
      [
        'six thumbprints',
        { thumbprints: ['0', '1', '2', '3', '4', '5'].map((digit) => digit.repeat(40)) },
        /1 to 5 thumbprints; 6 were given/,
      ],
      ['no audience', { clientIds: [] }, /at least one/],
      ['an audience of 256 characters', { clientIds: ['x'.repeat(256)] }, /1 to 255 characters/],
      [
        '101 audiences',
        { clientIds: Array.from({ length: 101 }, (_, index) => `aud-${index}`) },
        /at most 100 client IDs/,
      ],
      [
        '51 tags',
        { tags: Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`k${index}`, 'v'])) },
        /at most 50 tags/,
      ],
      ['an aws: tag', { tags: { 'aws:owner': 'x' } }, /reserves/],
      ['tag keys differing in case', { tags: { team: 'a', Team: 'b' } }, /differ only in case/],
    ])('%s', (_, overrides, message) => {
      expect(() => planProvider(desired(overrides), undefined, keep)).toThrow(ConfigError);
      expect(() => planProvider(desired(overrides), undefined, keep)).toThrow(message);
    });

    it('accepts five thumbprints, the most IAM holds', () => {
      const five = ['0', '1', '2', '3', '4'].map((digit) => digit.repeat(40));
      expect(planProvider(desired({ thumbprints: five }), undefined, keep).changes).toHaveLength(1);
    });
  });
});

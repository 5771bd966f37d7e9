import { Deployment } from 'kubernetes-models/apps/v1';
import { describe, expect, it } from 'vitest';
import { validateStrictly } from './strict-schema.js';

function deployment(securityContext: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'x', 'any/key': 'v' } },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: {
          containers: [{ name: 'x', image: 'x:1', securityContext, resources: { limits: { memory: '256Mi' } } }],
        },
      },
    },
  };
}

describe('strict validation of rendered objects', () => {
  it('accepts a valid object, maps with any keys included', () => {
    expect(() => {
      validateStrictly(deployment({ readOnlyRootFilesystem: true }));
    }).not.toThrow();
  });

  it('rejects a misspelt field that kubernetes-models alone lets through', () => {
    const misspelt = deployment({ readOnlyRootFileSystem: true });
    expect(() => {
      new Deployment(misspelt).validate();
    }).not.toThrow();
    expect(() => {
      validateStrictly(misspelt);
    }).toThrow('/spec/template/spec/containers/0/securityContext/readOnlyRootFileSystem');
  });

  it('still rejects what the schema itself forbids: a wrong type, a missing required field, an unknown kind', () => {
    expect(() => {
      validateStrictly(deployment({ runAsUser: '65532' }));
    }).toThrow(/runAsUser/);
    expect(() => {
      validateStrictly({ ...deployment({}), spec: { template: {} } });
    }).toThrow(/selector/);
    expect(() => {
      validateStrictly({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' });
    }).toThrow(/no schema for policy\/v1\/PodDisruptionBudget/);
  });
});

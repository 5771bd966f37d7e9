/**
 * The chart behind a proxy: `proxy.https` (or a Secret holding the URL, credentials included) becomes
 * HTTPS_PROXY and HTTP_PROXY with NO_PROXY beside it, and `extraCaCertificates` mounts a ConfigMap
 * that the CLI trusts with --ca-file and Node with NODE_EXTRA_CA_CERTS.
 */
import { describe, expect, it } from 'vitest';
import { container, lint, podSpec, render, template, type Rendered, type Values } from './helm.js';
import { validateStrictly } from './strict-schema.js';

const base = {
  issuer: 'https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod',
  image: { repository: 'registry.example.com/irsa-issuer' },
};
const proxyUrl = 'http://proxy.corp.example:3128';

function env(objects: readonly Rendered[]): Record<string, unknown> {
  return Object.fromEntries(
    (container(objects).env ?? []).map((variable) => [variable.name, variable.value ?? variable.valueFrom]),
  );
}

describe.each(['cronjob', 'daemon'] as const)('the chart behind a proxy, mode %s', (mode) => {
  const values = (more: Values): Values => ({ ...base, mode, ...more });

  it('sets no proxy, no NO_PROXY and mounts no CA by default', async () => {
    const objects = await render(values({}));
    expect(Object.keys(env(objects))).toEqual([]);
    expect(container(objects).args).not.toContainEqual(expect.stringMatching(/^--ca-file/));
    expect(podSpec(objects).volumes?.map((volume) => volume.name)).toEqual(['tmp']);
  });

  it('sets HTTPS_PROXY, HTTP_PROXY and a NO_PROXY covering the cluster itself, and lints strict', async () => {
    const proxied = values({ proxy: { https: proxyUrl }, aws: { roleArn: 'arn:aws:iam::111122223333:role/irsa' } });
    const linted = await lint(proxied);
    expect(linted.stdout + linted.stderr).not.toMatch(/\[(WARNING|ERROR)\]/);
    const objects = await render(proxied);
    for (const object of objects) validateStrictly(object);
    expect(env(objects)).toMatchObject({
      HTTPS_PROXY: proxyUrl,
      HTTP_PROXY: proxyUrl,
      NO_PROXY: '10.96.0.0/12,kubernetes.default.svc,.svc,.cluster.local',
      AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/irsa',
    });
  });

  it('takes the proxy URL from a Secret, so its credentials stay out of the pod spec', async () => {
    const objects = await render(
      values({ proxy: { existingSecret: 'corp-proxy', existingSecretKey: 'url', noProxy: ['10.43.0.0/16', '.svc'] } }),
    );
    const fromSecret = { secretKeyRef: { name: 'corp-proxy', key: 'url' } };
    expect(env(objects)).toEqual({ HTTPS_PROXY: fromSecret, HTTP_PROXY: fromSecret, NO_PROXY: '10.43.0.0/16,.svc' });
  });

  it('refuses a proxy given both ways, and a proxy that is not http://', async () => {
    const both = await template(values({ proxy: { https: proxyUrl, existingSecret: 'corp-proxy' } }));
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/proxy\.https and proxy\.existingSecret are both set/);
    const socks = await template(values({ proxy: { https: 'socks5://proxy:1080' } }));
    expect(socks.code).not.toBe(0);
    expect(socks.stderr).toMatch(/proxy/);
  });

  it('mounts the extra CA bundle read-only and trusts it with --ca-file and NODE_EXTRA_CA_CERTS', async () => {
    const objects = await render(values({ extraCaCertificates: { configMap: 'corp-roots', key: 'roots.pem' } }));
    for (const object of objects) validateStrictly(object);
    const caFile = '/etc/irsa-issuer/ca/roots.pem';
    expect(container(objects).args).toContain(`--ca-file=${caFile}`);
    expect(env(objects)).toEqual({ NODE_EXTRA_CA_CERTS: caFile });
    expect(container(objects).volumeMounts).toContainEqual({
      name: 'extra-ca-certificates',
      mountPath: '/etc/irsa-issuer/ca',
      readOnly: true,
    });
    expect(podSpec(objects).volumes).toContainEqual({
      name: 'extra-ca-certificates',
      configMap: { name: 'corp-roots', items: [{ key: 'roots.pem', path: 'roots.pem' }] },
    });
  });
});

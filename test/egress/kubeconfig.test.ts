/**
 * The API server's route: a kubeconfig cluster's own `proxy-url` keeps working (client-node's agent)
 * and wins over HTTPS_PROXY, as with kubectl; without one, HTTPS_PROXY and NO_PROXY apply.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/cli.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { startBlackhole, type Blackhole } from '../stand/blackhole.js';
import { startProxy, type ProxyStand } from '../stand/proxy.js';

const issuer = 'https://oidc.example.com/clusters/prod';

describe('the API server from behind a proxy', () => {
  let stand: ApiServerStand;
  let proxy: ProxyStand;
  let blackhole: Blackhole;
  let withProxyUrl: string;

  beforeAll(async () => {
    [stand, proxy, blackhole] = await Promise.all([startApiServer({ issuer }), startProxy(), startBlackhole()]);
    const token = stand.tokens.reader?.token ?? '';
    const path = await stand.writeKubeconfig([{ name: 'proxied', server: stand.url, caPem: stand.caPem, token }]);
    // kubectl's field: the cluster's own proxy, which client-node honours.
    const config = JSON.parse(await readFile(path, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
    for (const entry of config.clusters) entry.cluster['proxy-url'] = proxy.url;
    withProxyUrl = `${path}.proxy-url.json`;
    await writeFile(withProxyUrl, JSON.stringify(config), { mode: 0o600 });
  });

  afterAll(async () => {
    await Promise.all([stand.stop(), proxy.stop(), blackhole.stop()]);
  });

  const render = (kubeconfig: string, context: string, env: NodeJS.ProcessEnv) =>
    cli(['render', '--issuer', issuer, '--kubeconfig', kubeconfig, '--context', context], env);

  it("goes through the kubeconfig's proxy-url, which wins over HTTPS_PROXY", async () => {
    const before = (await proxy.requests()).length;
    const result = await render(withProxyUrl, 'proxied', { HTTPS_PROXY: blackhole.url });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await proxy.requests()).slice(before)).toContain(new URL(stand.url).host);
    expect(blackhole.connections).toBe(0);
  });

  it('without a proxy-url, goes through HTTPS_PROXY unless NO_PROXY lists the API server', async () => {
    const host = new URL(stand.url).host;
    let before = (await proxy.requests()).length;
    expect((await render(stand.kubeconfigPath, 'reader', { HTTPS_PROXY: proxy.url })).code).toBe(0);
    expect((await proxy.requests()).slice(before)).toContain(host);

    before = (await proxy.requests()).length;
    expect((await render(stand.kubeconfigPath, 'reader', { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' })).code).toBe(
      0,
    );
    expect((await proxy.requests()).slice(before)).not.toContain(host);
  });
});

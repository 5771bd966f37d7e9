import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiServerReader, readIssuerMetadata } from '../../src/cluster/api-server.js';
import { loadKubeConfig } from '../../src/cluster/kubeconfig.js';
import { kubernetesKeyId } from '../../src/documents/kid.js';
import { ClusterReadError, ConfigError } from '../../src/errors.js';
import { createSelfSigned } from '../stand/certs.js';
import { freePort } from '../stand/moto.js';
import { discoveryPath, jwksPath, startApiServer, type ApiServerStand } from '../stand/apiserver.js';

/** The error a read fails with; fails the test if the read succeeds. */
async function readFailure(read: Promise<unknown>): Promise<Error> {
  try {
    await read;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the read to fail');
}

describe('reading the issuer from the API server', () => {
  let stand: ApiServerStand;
  const allTokens = (): string[] => [...Object.values(stand.tokens).map((token) => token.token), stand.unknownToken];

  beforeAll(async () => {
    stand = await startApiServer();
  });
  afterAll(async () => {
    await stand.stop();
  });
  beforeEach(() => {
    stand.reset();
  });

  const reader = (context: string, timeoutMs?: number) =>
    apiServerReader({ kubeconfig: stand.kubeconfigPath, context, ...(timeoutMs === undefined ? {} : { timeoutMs }) });

  it('returns the issuer, jwks_uri and keys the cluster serves, and says where they came from', async () => {
    const metadata = await reader('reader').read();
    expect(metadata.issuer).toBe('https://kubernetes.default.svc.cluster.local');
    expect(metadata.jwksUri).toBe(`${stand.url}/openid/v1/jwks`);
    expect(metadata.source).toBe(`API server ${stand.url} (context reader)`);
    expect(metadata.keys.map((key) => (key as { kid: string }).kid)).toEqual(
      stand.keys.map((key) => kubernetesKeyId(key.publicKey)),
    );
    expect(stand.requests.map((request) => `${request.method} ${request.path} ${String(request.status)}`)).toEqual([
      `GET ${discoveryPath} 200`,
      `GET ${jwksPath} 200`,
    ]);
  });

  it('passes keys on exactly as served, private members included, for the guards downstream to judge', async () => {
    stand.override(jwksPath, { body: { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }] } });
    const metadata = await reader('reader').read();
    expect(metadata.keys).toEqual([{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }]);
  });

  it('sees a key rotated in on the cluster at the next read', async () => {
    const before = await reader('reader').read();
    const added = await stand.addKey();
    const after = await reader('reader').read();
    expect(after.keys).toHaveLength(before.keys.length + 1);
    expect(after.keys).toContainEqual(expect.objectContaining({ kid: kubernetesKeyId(added.publicKey) }));
  });

  it('reads a changed issuer too: the cluster, not a cache, is the source', async () => {
    stand.setIssuer('https://oidc.example.com/clusters/prod');
    expect((await reader('admin').read()).issuer).toBe('https://oidc.example.com/clusters/prod');
  });

  it('accepts the documents when a proxy serves them as text/plain', async () => {
    stand.override(discoveryPath, {
      body: JSON.stringify({
        issuer: 'https://issuer.example.com',
        jwks_uri: 'https://issuer.example.com/openid/v1/jwks',
      }),
      contentType: 'text/plain; charset=utf-8',
    });
    expect((await reader('reader').read()).issuer).toBe('https://issuer.example.com');
  });

  it('explains an invalid or expired token (401) without quoting it', async () => {
    const error = await readFailure(reader('bad-token').read());
    expect(error).toBeInstanceOf(ClusterReadError);
    expect(error.message).toContain(`API server ${stand.url} (context bad-token)`);
    expect(error.message).toMatch(/401 Unauthorized.*invalid or expired/);
    for (const token of allTokens()) expect(error.message).not.toContain(token);
  });

  it('on 403 names the ClusterRole to bind, and the exact command for the refused service account', async () => {
    const error = await readFailure(reader('unprivileged').read());
    expect(error).toBeInstanceOf(ClusterReadError);
    expect(error.message).toContain('403 Forbidden');
    expect(error.message).toContain(
      'kubectl create clusterrolebinding irsa-issuer-discovery --clusterrole=system:service-account-issuer-discovery --serviceaccount=default:nobody',
    );
    for (const token of allTokens()) expect(error.message).not.toContain(token);
  });

  it('on 404 says the API server does not serve issuer discovery and why', async () => {
    stand.override(discoveryPath, {
      status: 404,
      body: { kind: 'Status', message: 'the server could not find the requested resource' },
    });
    const error = await readFailure(reader('reader').read());
    expect(error).toBeInstanceOf(ClusterReadError);
    expect(error.message).toContain('--service-account-issuer');
  });

  it('names the server and suggests --kubeconfig/--context when nothing listens there', async () => {
    const port = await freePort();
    const kubeconfig = await stand.writeKubeconfig([
      { name: 'gone', server: `https://127.0.0.1:${String(port)}`, caPem: stand.caPem, token: stand.unknownToken },
    ]);
    const error = await readFailure(apiServerReader({ kubeconfig }).read());
    expect(error).toBeInstanceOf(ClusterReadError);
    expect(error.message).toContain(`https://127.0.0.1:${String(port)}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('--kubeconfig/--context');
    expect(error.message).not.toContain(stand.unknownToken);
  });

  it('refuses a server whose certificate the kubeconfig CA did not sign, naming server and CA', async () => {
    const otherCa = await createSelfSigned();
    const kubeconfig = await stand.writeKubeconfig([
      { name: 'other-ca', server: stand.url, caPem: otherCa.certPem, token: stand.tokens.reader?.token ?? '' },
    ]);
    const error = await readFailure(apiServerReader({ kubeconfig }).read());
    expect(error).toBeInstanceOf(ClusterReadError);
    expect(error.message).toContain(stand.url);
    expect(error.message).toContain('certificate-authority-data of context other-ca');
    expect(error.message).toMatch(/TLS certificate could not be verified/);
    expect(stand.requests).toEqual([]);
  });

  it('gives up on a server that accepts connections but never answers, within the timeout', async () => {
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => {
      blackHole.listen(0, '127.0.0.1', resolve);
    });
    const address = blackHole.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const kubeconfig = await stand.writeKubeconfig([
        {
          name: 'black-hole',
          server: `https://127.0.0.1:${String(port)}`,
          caPem: stand.caPem,
          token: stand.unknownToken,
        },
      ]);
      const started = Date.now();
      const error = await readFailure(apiServerReader({ kubeconfig, timeoutMs: 300 }).read());
      expect(Date.now() - started).toBeLessThan(3000);
      expect(error).toBeInstanceOf(ClusterReadError);
      expect(error.message).toContain('no answer within 0.3 s');
    } finally {
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });

  it.each([
    ['is not JSON', 'Welcome to nginx!', /not JSON/],
    ['is a JSON array', '[]', /an array, not a JSON object/],
    ['has no issuer', { jwks_uri: 'https://x/openid/v1/jwks' }, /no "issuer" string/],
    ['has no jwks_uri', { issuer: 'https://x' }, /no "jwks_uri" string/],
  ])('refuses a discovery document that %s', async (_, body, message) => {
    stand.override(discoveryPath, { body });
    const error = await readFailure(reader('reader').read());
    expect(error).toBeInstanceOf(ClusterReadError);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`(context reader)`);
  });

  it.each([
    ['has no keys array', { keys: 'none' }],
    ['is not an object', 'null'],
  ])('refuses a JWKS that %s', async (_, body) => {
    stand.override(jwksPath, { body });
    const error = await readFailure(reader('reader').read());
    expect(error).toBeInstanceOf(ClusterReadError);
    expect(error.message).toMatch(/JWKS/);
  });

  it('refuses an unknown --context before any request, listing the contexts there are', () => {
    const load = () => apiServerReader({ kubeconfig: stand.kubeconfigPath, context: 'prod' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/"prod" is not in .*admin, reader, unprivileged, bad-token/);
    expect(stand.requests).toEqual([]);
  });

  it('refuses a kubeconfig file that does not exist, naming it', () => {
    expect(() => loadKubeConfig({ kubeconfig: '/nonexistent/kubeconfig' })).toThrow(
      /Cannot load \/nonexistent\/kubeconfig/,
    );
  });

  it('with no --kubeconfig reads the one $KUBECONFIG names and its current context, as kubectl does', async () => {
    vi.stubEnv('KUBECONFIG', stand.kubeconfigPath);
    try {
      expect((await apiServerReader().read()).source).toBe(`API server ${stand.url} (context admin)`);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  // In a pod (a CI runner on Kubernetes, say) client-node rightly falls back to the pod's service account.
  const inPod = existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
  it.skipIf(inPod)('says so when there is no kubeconfig at all instead of trying http://localhost:8080', async () => {
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('HOME', await mkdtemp(join(tmpdir(), 'irsa-issuer-home-')));
    try {
      expect(() => loadKubeConfig()).toThrow(/Found no kubeconfig/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses a context that names a plain-HTTP server', async () => {
    const kubeconfig = await stand.writeKubeconfig([{ name: 'plain', server: stand.url.replace('https:', 'http:') }]);
    expect(() => loadKubeConfig({ kubeconfig })).toThrow(/plain-HTTP server/);
  });

  it('refuses in-cluster mode outside a pod, and together with a kubeconfig', () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', undefined);
    vi.stubEnv('KUBERNETES_SERVICE_PORT', undefined);
    try {
      expect(() => loadKubeConfig({ inCluster: true })).toThrow(/not a pod/);
      expect(() => loadKubeConfig({ inCluster: true, kubeconfig: stand.kubeconfigPath })).toThrow(ConfigError);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('shares one loaded kubeconfig between reads', async () => {
    const connection = loadKubeConfig({ kubeconfig: stand.kubeconfigPath, context: 'reader' });
    const first = await readIssuerMetadata(connection);
    const second = await readIssuerMetadata(connection);
    expect(second).toEqual(first);
  });
});

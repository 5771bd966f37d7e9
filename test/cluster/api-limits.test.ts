/**
 * What the API server read must survive: a credential plugin that never answers, an answer far too
 * large, and a non-JSON answer that echoes the credentials it was sent.
 */
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiServerReader } from '../../src/cluster/api-server.js';
import { ClusterReadError } from '../../src/errors.js';
import { discoveryPath, jwksPath, startApiServer, type ApiServerStand } from '../stand/apiserver.js';

let stand: ApiServerStand;
let directory: string;

beforeAll(async () => {
  stand = await startApiServer();
  directory = await mkdtemp(join(tmpdir(), 'irsa-api-limits-'));
});
afterAll(async () => {
  await stand.stop();
  await rm(directory, { recursive: true, force: true });
});
beforeEach(() => {
  stand.reset();
});

async function failure(read: Promise<unknown>): Promise<Error> {
  const error = await read.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ClusterReadError);
  return error as Error;
}

/** A kubeconfig whose user gets its token from an exec credential plugin (client.authentication.k8s.io/v1). */
async function execKubeconfig(name: string, script: string): Promise<string> {
  const plugin = join(directory, `${name}.sh`);
  await writeFile(plugin, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  const path = join(directory, `${name}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: { server: stand.url, 'certificate-authority-data': Buffer.from(stand.caPem).toString('base64') },
      },
    ],
    users: [
      {
        name,
        user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
  await writeFile(path, JSON.stringify(config));
  return path;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the API server read under stress', () => {
  it('authenticates through an exec credential plugin, as kubectl does', async () => {
    const token = stand.tokens.reader?.token ?? '';
    const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } };
    const kubeconfig = await execKubeconfig('plugin-ok', `echo '${JSON.stringify(credential)}'`);
    const metadata = await apiServerReader({ kubeconfig }).read();
    expect(metadata.keys.length).toBeGreaterThan(0);
  });

  it('runs the exec credential plugin once for both GETs, although they go out together', async () => {
    const token = stand.tokens.reader?.token ?? '';
    const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } };
    const runs = join(directory, 'plugin-runs');
    // Slow enough that two lookups started together would both spawn it before either had an answer.
    const kubeconfig = await execKubeconfig(
      'plugin-counted',
      `echo run >> ${runs}\nsleep 0.3\necho '${JSON.stringify(credential)}'`,
    );
    await apiServerReader({ kubeconfig }).read();
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toEqual(['run']);
    const paths = stand.requests.map((request) => request.path);
    expect(paths.sort()).toEqual([discoveryPath, jwksPath]);
  });

  it('kills a credential plugin that never answers at the deadline, and says it was the plugin', async () => {
    const pidFile = join(directory, 'hanging.pid');
    const kubeconfig = await execKubeconfig('plugin-hangs', `echo $$ > ${pidFile}\nexec sleep 60`);
    const started = Date.now();
    const error = await failure(apiServerReader({ kubeconfig, timeoutMs: 500 }).read());
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.message).toMatch(/credential plugin \(exec\) gave no credentials within 0\.5 s, and was stopped/);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    const deadline = Date.now() + 3000;
    while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(pid), 'the plugin process must not outlive the deadline').toBe(false);
  });

  it('refuses an answer larger than 1 MiB without reading it all', async () => {
    stand.override(jwksPath, { body: Buffer.alloc(8 * 1024 * 1024, 0x20) });
    const error = await failure(apiServerReader({ kubeconfig: stand.kubeconfigPath, context: 'reader' }).read());
    expect(error.message).toMatch(/larger than 1 MiB/);
  });

  it('never quotes the bearer token when a proxy echoes it in a non-JSON answer', async () => {
    const token = stand.tokens.reader?.token ?? '';
    stand.override(discoveryPath, { body: `Authorization: Bearer ${token}`, contentType: 'text/plain' });
    const error = await failure(apiServerReader({ kubeconfig: stand.kubeconfigPath, context: 'reader' }).read());
    expect(error.message).toMatch(/not JSON/);
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain(token.slice(0, 12));
  });
});

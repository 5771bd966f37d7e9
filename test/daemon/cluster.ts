/**
 * The cluster a daemon test reads: the API server stand-in behind a proxy that can slow it down,
 * a kubeconfig whose context is the daemon's own service account (reader), and a directory target.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { startSlowProxy, type SlowProxy } from './slow-proxy.js';

export const issuer = 'https://oidc.example.com/clusters/prod';
/** Every second: runs come fast enough for a test, and the interval (readiness) is one second. */
export const everySecond = '*/1 * * * * *';

export interface TestCluster {
  readonly stand: ApiServerStand;
  readonly proxy: SlowProxy;
  /** A kubeconfig for the reader service account, through the proxy. */
  readonly kubeconfig: string;
  /** A fresh, empty directory for a test's file:// target; removed by stop(). */
  directory(): Promise<string>;
  /** The daemon's sync flags for a directory target. */
  syncArgs(target: string): string[];
  /** Back to the stand's first answers and no delay, between tests. */
  reset(): void;
  stop(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const stand = await startApiServer({ issuer });
  const proxy = await startSlowProxy(stand.url);
  const kubeconfig = await stand.writeKubeconfig(
    [{ name: 'reader', server: proxy.url, caPem: stand.caPem, token: stand.tokens.reader?.token ?? '' }],
    'reader',
  );
  const directories: string[] = [];
  return {
    stand,
    proxy,
    kubeconfig,
    async directory() {
      const directory = await mkdtemp(join(tmpdir(), 'irsa-daemon-'));
      directories.push(directory);
      return directory;
    },
    syncArgs: (target) => [
      '--issuer',
      issuer,
      '--target',
      `file://${target}`,
      '--no-register',
      '--kubeconfig',
      kubeconfig,
      '--output',
      'json',
    ],
    reset() {
      stand.reset();
      proxy.setDelay(0);
    },
    async stop() {
      await proxy.stop();
      await stand.stop();
      // The stand's certificate chain and kubeconfigs live in a directory of their own.
      await Promise.all(
        [...directories, stand.chain.directory].map((directory) => rm(directory, { recursive: true, force: true })),
      );
    },
  };
}

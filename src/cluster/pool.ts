/**
 * Keep-alive to the API server. client-node 2.0 builds a new undici Agent, and so a new TCP and TLS
 * connection, for every request (KubeConfig.applySecurityAuthentication calls its private
 * createDispatcher each time); a daemon reading the issuer run after run should reuse one.
 *
 * The options are still derived per request exactly as client-node derives them (the CA, an exec
 * credential plugin's client certificate, a proxy), and only a request whose options are identical
 * to the previous one's reuses its pool; anything else gets a new pool, and the old one is closed
 * once its requests are done. Tokens are headers, re-read per request as before.
 */
import { createHash } from 'node:crypto';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';

interface Closable {
  close?: () => Promise<void>;
}
type CreateDispatcher = (cluster: Cluster | null, agentOptions: object) => Closable | undefined;

function fingerprint(cluster: Cluster | null, agentOptions: object): string {
  const relevant = [cluster?.name, cluster?.server, cluster?.proxyUrl, cluster?.skipTLSVerify, cluster?.tlsServerName, agentOptions];
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}

/** Makes `kubeConfig` reuse one connection pool while the TLS and proxy settings stay the same. */
export function reuseConnections(kubeConfig: KubeConfig): void {
  const target = kubeConfig as unknown as { createDispatcher?: CreateDispatcher };
  const create = target.createDispatcher;
  // Another client-node version: leave it alone (a pool per request is slower, not wrong).
  if (typeof create !== 'function') return;
  let current: { key: string; dispatcher: Closable | undefined } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const key = fingerprint(cluster, agentOptions);
    if (current?.key !== key) {
      // close() lets the requests already sent finish first.
      void current?.dispatcher?.close?.().catch(() => undefined);
      current = { key, dispatcher: create.call(kubeConfig, cluster, agentOptions) };
    }
    return current.dispatcher;
  };
}

import type { ApiServerReader, ApiServerReaderOptions } from './api-server.js';
import type { KubeConfigOptions } from './kubeconfig.js';

/**
 * The reader of a kubeconfig context's API server. It brings @kubernetes/client-node, the largest
 * dependency in the bundle, so it is loaded only by a run that reads an API server: a run on
 * --public-key-file never pays for it (bench/README.md, "What costs what").
 */
export async function apiServerReader(
  options: KubeConfigOptions & ApiServerReaderOptions = {},
): Promise<ApiServerReader> {
  const loaded = await import('./api-server.js');
  return loaded.apiServerReader(options);
}

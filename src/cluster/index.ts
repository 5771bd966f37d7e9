export type { ApiServerReader } from './api-server.js';
export { apiServerReader } from './lazy.js';
export type { ApiServerConnection } from './kubeconfig.js';
export { pemFileReader } from './pem.js';
export { readStage } from './read.js';
export type { ClusterReader } from './reader.js';
export { minimumTokenSeconds, mintServiceAccountToken } from './token-request.js';

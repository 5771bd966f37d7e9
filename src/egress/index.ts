export {
  egressAgents,
  EgressHttpAgent,
  EgressHttpsAgent,
  type EgressAgentOptions,
  type EgressAgents,
} from './agent.js';
export { bypassesProxy, parseNoProxy, type NoProxyRule } from './no-proxy.js';
export {
  directEgress,
  egressFrom,
  parseProxy,
  proxyFor,
  type Egress,
  type EgressSettings,
  type Proxy,
} from './proxy.js';
export { trustedCas } from './trust.js';
export { openTunnel, ProxyError, type TunnelOptions } from './tunnel.js';

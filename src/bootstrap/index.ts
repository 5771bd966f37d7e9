export {
  bootstrap,
  BootstrapFailedError,
  type BootstrapClients,
  type BootstrapPart,
  type BootstrapReport,
  type BootstrapRequest,
} from './bootstrap.js';
export type { AccountApi } from './bucket.js';
export * from './names.js';
export { distributions, type NextSteps } from './next.js';
export { trustPolicy, type PolicyDocument, type TrustRequest } from './policies.js';
export { applyRole, planRole, type RoleApi, type RolePlan, type RoleSpec } from './role.js';
export { podSpecFragment, roleAnnotation, type WorkloadRequest } from './workload.js';

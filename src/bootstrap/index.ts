export { bootstrap, type BootstrapClients, type BootstrapRequest } from './bootstrap.js';
export { BootstrapFailedError, type BootstrapPart, type BootstrapReport } from './report.js';
export type { AccountApi } from './bucket.js';
export * from './chart.js';
export * from './names.js';
export { distributions, type NextSteps } from './next.js';
export { trustPolicy, type PolicyDocument, type TrustRequest } from './policies.js';
export { applyRole, planRole, type RoleApi, type RolePlan, type RoleSpec } from './role.js';
export { podSpecFragment, roleAnnotation, type WorkloadRequest } from './workload.js';
export { teardownIamActions } from './teardown-failure.js';
export { planTeardown } from './teardown-plan.js';
export {
  applyTeardown,
  type TeardownItem,
  type TeardownPlan,
  type TeardownReport,
  type TeardownRequest,
} from './teardown.js';
export {
  ensureRegistrarRole,
  providerArnIn,
  registrarPermissions,
  registrarPolicyName,
  registrarProviderActions,
  registrarRole,
  registrarRoleName,
  registrarTrustPolicy,
  type RegistrarOutcome,
  type RegistrarRole,
  type RegistrarSpec,
} from './registrar.js';

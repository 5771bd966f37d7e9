export { createIamClient, iamRegionFor, type IamClientOptions } from './client.js';
export { maxThumbprints, thumbprintPattern, validateProviderRequest } from './limits.js';
export type { ProviderPlan } from './plan.js';
export {
  readProvider,
  type ActualProvider,
  type ReadProviderOptions,
  type DesiredProvider,
  type ProviderApi,
} from './provider.js';
export { readProviderAhead } from './reconcile.js';
export { registerStage, withDeadline, type RegisterOptions } from './register.js';

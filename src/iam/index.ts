export { createIamClient, type IamClientOptions } from './client.js';
export { iamRegionFor } from '../partition.js';
export { iamError } from './failure.js';
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

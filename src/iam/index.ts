export { createIamClient, iamRegionFor, partitionFor, type IamClientOptions } from './client.js';
export { maxThumbprints, thumbprintPattern, validateProviderRequest } from './limits.js';
export type { ProviderPlan } from './plan.js';
export { readProvider, type ActualProvider, type DesiredProvider, type ProviderApi } from './provider.js';
export { registerStage, withDeadline, type RegisterOptions } from './register.js';

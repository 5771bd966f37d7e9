export * from './names.js';
export { teardownIamActions } from './teardown-failure.js';
export { planTeardown } from './teardown-plan.js';
export {
  applyTeardown,
  type TeardownItem,
  type TeardownPlan,
  type TeardownReport,
  type TeardownRequest,
} from './teardown.js';

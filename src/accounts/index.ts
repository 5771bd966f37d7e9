export {
  accountConcurrency,
  assumedAccount,
  forEachBounded,
  homeAccount,
  homeAccountLabel,
  type Account,
} from './accounts.js';
export { parseAccountRole, parseAccountRoles, type AccountRole } from './role.js';
export { accountSession, accountSessionName, createStsClient, type AccountSession, type AssumeApi } from './session.js';
export { ensureRegistrarRole, type RegistrarOutcome, type RoleApi } from './create.js';
export {
  providerArnIn,
  registrarPermissions,
  registrarPolicyName,
  registrarProviderActions,
  registrarRole,
  registrarRoleName,
  registrarTrustPolicy,
  type RegistrarRole,
  type RegistrarSpec,
} from './registrar.js';

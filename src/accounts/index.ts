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

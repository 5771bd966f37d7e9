export type { AccountVerification } from './accounts.js';
export type { Check, CheckStatus } from './check.js';
export { createAnonymousStsClient, type StsApi } from './sts.js';
export { tokenMinterFor, type ServiceAccountRef, type TokenMinter } from './token.js';
export {
  verificationFailure,
  verifyIssuer,
  verifyStage,
  type VerifyDependencies,
  type VerifyOptions,
  type VerifyReport,
} from './verify.js';
export { readPublicIssuer, type PublicIssuer, type PublicIssuerOptions } from './public-issuer.js';

/**
 * The parts of the STS SDK the token exchange needs, imported from here with
 * `await import('./sts-sdk.js')` when verify is given --role-arn: otherwise the SDK is never loaded.
 * A module of our own, not `import('@aws-sdk/client-sts')`: the bundle takes the SDK's CommonJS
 * build, whose dynamic import would have no named exports.
 */
export { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';

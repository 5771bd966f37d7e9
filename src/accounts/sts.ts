/**
 * The parts of the STS SDK assuming a role needs, imported from here with `await import('./sts.js')`
 * when a command works in another account: without --account-role the SDK is never loaded. A
 * module of our own, not `import('@aws-sdk/client-sts')`: the bundle takes the SDK's CommonJS
 * build, whose dynamic import would have no named exports.
 */
export { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

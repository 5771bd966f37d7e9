/**
 * The IAM SDK's client and the commands we send, imported from here with `await import('./sdk.js')`
 * where a client is made or a command sent: a command line that never talks to IAM (render,
 * sync --no-register, verify --no-aws) never loads the SDK (bench/README.md). A module of our own,
 * not `import('@aws-sdk/client-iam')`: the bundle takes the SDK's CommonJS build, whose dynamic
 * import would have no named exports.
 */
export {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  ListOpenIDConnectProviderTagsCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagOpenIDConnectProviderCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
} from '@aws-sdk/client-iam';

/**
 * kubeconfig files for the stand, the way `kubectl config` writes them: one cluster and one user per
 * context, the CA inline as certificate-authority-data, a static bearer token.
 */
import { writeFile } from 'node:fs/promises';

export interface KubeconfigContext {
  readonly name: string;
  readonly server: string;
  /** The CA that verifies the server; omitted, the client falls back to the system trust store. */
  readonly caPem?: string;
  /** A CA file instead of inline data (certificate-authority). */
  readonly caPath?: string;
  readonly token?: string;
}

export async function writeKubeconfig(
  path: string,
  contexts: readonly KubeconfigContext[],
  currentContext: string | undefined = contexts[0]?.name,
): Promise<string> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: contexts.map((context) => ({
      name: context.name,
      cluster: {
        server: context.server,
        ...(context.caPem === undefined
          ? {}
          : { 'certificate-authority-data': Buffer.from(context.caPem).toString('base64') }),
        ...(context.caPath === undefined ? {} : { 'certificate-authority': context.caPath }),
      },
    })),
    users: contexts.map((context) => ({
      name: context.name,
      user: context.token === undefined ? {} : { token: context.token },
    })),
    contexts: contexts.map((context) => ({
      name: context.name,
      context: { cluster: context.name, user: context.name },
    })),
    ...(currentContext === undefined ? {} : { 'current-context': currentContext }),
  };
  // JSON is YAML, and both kubectl and client-node read it.
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return path;
}

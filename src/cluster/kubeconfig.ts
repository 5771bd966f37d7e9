import { spawn, type SpawnOptions } from 'node:child_process';
import type { Agent } from 'node:https';
import { KubeConfig, type Cluster } from '@kubernetes/client-node';
import { EgressHttpsAgent, type Egress } from '../egress/index.js';
import { ConfigError, describeCause } from '../errors.js';

/** How to reach the API server: the pod's own service account, or a kubeconfig and context, as kubectl does. */
export interface KubeConfigOptions {
  /** A kubeconfig file (--kubeconfig). Without it: $KUBECONFIG, ~/.kube/config, then the pod's service account. */
  readonly kubeconfig?: string;
  /** A context of that kubeconfig (--context); its current context otherwise. */
  readonly context?: string;
  /** The pod's service account: its token and CA under /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST. */
  readonly inCluster?: boolean;
  /** How long an exec credential plugin may run before it is killed; 15 s when omitted. */
  readonly timeoutMs?: number | undefined;
  /**
   * HTTPS_PROXY / NO_PROXY / --proxy, for a kubeconfig cluster without a proxy-url of its own (as
   * kubectl does). A cluster's proxy-url wins (client-node's own agent), and in a pod the API server
   * is always reached directly.
   */
  readonly egress?: Egress | undefined;
}

const defaultPluginTimeoutMs = 15_000;

/**
 * client-node spawns exec credential plugins with no time limit and never kills them, so a plugin
 * waiting for a login prompt would keep the process alive long after the request gave up. Every
 * spawn gets a deadline, after which the plugin is killed. (The authenticator list is private to
 * KubeConfig; a test proves the hook still takes.)
 */
function boundCredentialPlugins(kubeConfig: KubeConfig, timeoutMs: number): void {
  const { authenticators } = kubeConfig as unknown as { authenticators: object[] };
  for (const authenticator of authenticators) {
    if (!('execFn' in authenticator)) continue;
    (authenticator as { execFn: typeof spawn }).execFn = ((
      command: string,
      args: readonly string[],
      options: SpawnOptions,
    ) => spawn(command, args, { ...options, timeout: timeoutMs, killSignal: 'SIGKILL' })) as typeof spawn;
  }
}

/** A loaded kubeconfig and what to call it in reports and errors. */
export interface ApiServerConnection {
  readonly kubeConfig: KubeConfig;
  /** The API server URL, e.g. https://10.0.0.1:6443. */
  readonly server: string;
  /** `API server https://10.0.0.1:6443 (context prod)`, or `(in-cluster service account)`. */
  readonly description: string;
  /** What is meant to verify the server's certificate, for TLS errors: a CA file, inline data, or the system store. */
  readonly trustedCa: string;
  /** The agent for the egress route; absent: client-node's own (direct, or the kubeconfig's proxy-url). */
  readonly agent?: Agent;
}

const inClusterCa = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

function trustedCaOf(cluster: Cluster, context: string): string {
  if (cluster.skipTLSVerify) return 'nothing (insecure-skip-tls-verify is set)';
  if (cluster.caFile) return `the CA file ${cluster.caFile}`;
  if (cluster.caData) return `the certificate-authority-data of context ${context}`;
  return 'the system trust store (the kubeconfig names no certificate-authority)';
}

function loadInCluster(options: KubeConfigOptions): ApiServerConnection {
  if (options.kubeconfig !== undefined || options.context !== undefined) {
    throw new ConfigError(
      "In-cluster mode uses the pod's own service account; it cannot be combined with a kubeconfig or a context. " +
        'Choose one.',
    );
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromCluster();
  const cluster = kubeConfig.getCurrentCluster();
  // client-node builds the URL from KUBERNETES_SERVICE_HOST/PORT without checking they are set.
  if (!cluster || cluster.server.includes('undefined')) {
    throw new ConfigError(
      'In-cluster configuration needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, which Kubernetes sets in ' +
        'every pod; they are not set, so this is not a pod. Outside a cluster pass --kubeconfig (and --context).',
    );
  }
  return {
    kubeConfig,
    server: cluster.server,
    description: `API server ${cluster.server} (in-cluster service account)`,
    trustedCa: `the service-account CA ${inClusterCa}`,
  };
}

function loadKubeconfigFile(options: KubeConfigOptions): KubeConfig {
  const kubeConfig = new KubeConfig();
  const where = options.kubeconfig ?? 'the default kubeconfig ($KUBECONFIG or ~/.kube/config)';
  try {
    if (options.kubeconfig === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(options.kubeconfig);
  } catch (error) {
    throw new ConfigError(
      `Cannot load ${where}: ${describeCause(error)}. Pass a readable kubeconfig with --kubeconfig, or run in a pod, ` +
        `where the pod's service account is used.`,
      { cause: error },
    );
  }
  return kubeConfig;
}

/** Loads the kubeconfig once; the reader and TokenRequest share the result. Throws ConfigError (exit 2). */
export function loadKubeConfig(options: KubeConfigOptions = {}): ApiServerConnection {
  if (options.inCluster) return loadInCluster(options);
  const kubeConfig = loadKubeconfigFile(options);
  boundCredentialPlugins(kubeConfig, options.timeoutMs ?? defaultPluginTimeoutMs);
  const where = options.kubeconfig ?? 'the default kubeconfig';
  if (options.context !== undefined) {
    if (!kubeConfig.getContextObject(options.context)) {
      const available = kubeConfig.getContexts().map((context) => context.name);
      throw new ConfigError(
        `The context ${JSON.stringify(options.context)} is not in ${where}; it has ` +
          `${available.length > 0 ? available.join(', ') : 'no contexts at all'}. Pass one of those with --context ` +
          `(kubectl config get-contexts lists them).`,
      );
    }
    kubeConfig.setCurrentContext(options.context);
  }
  const context = kubeConfig.getCurrentContext();
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw new ConfigError(
      `${where} has no usable current context (current-context ${JSON.stringify(context)} names no cluster). Pass ` +
        `--context, or set one with kubectl config use-context.`,
    );
  }
  // With nothing to load, client-node invents a context for http://localhost:8080 rather than failing.
  if (options.kubeconfig === undefined && context === 'loaded-context' && cluster.server === 'http://localhost:8080') {
    throw new ConfigError(
      'Found no kubeconfig: $KUBECONFIG is unset, ~/.kube/config does not exist, and this is not a pod. Pass ' +
        "--kubeconfig (and --context), or run in a pod, where the pod's service account is used.",
    );
  }
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new ConfigError(
      `Context ${context} names the plain-HTTP server ${cluster.server}; client-node allows HTTP only with ` +
        `insecure-skip-tls-verify (as for kubectl proxy). Use the API server's https:// address.`,
    );
  }
  // Without a kubeconfig, client-node (like kubectl) falls back to the pod's service account.
  const inPod = options.kubeconfig === undefined && context === 'inClusterContext';
  const { egress } = options;
  const viaEgress = !inPod && cluster.proxyUrl === undefined && cluster.server.startsWith('https:');
  return {
    kubeConfig,
    server: cluster.server,
    description: `API server ${cluster.server} (${inPod ? 'in-cluster service account' : `context ${context}`})`,
    trustedCa: trustedCaOf(cluster, context),
    // The kubeconfig's own CA stays the API server's trust: the agent adds no CA of its own.
    ...(viaEgress && egress !== undefined ? { agent: new EgressHttpsAgent(egress) } : {}),
  };
}

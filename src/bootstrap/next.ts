/**
 * What the person who ran bootstrap does next: the kube-apiserver flags, where each distribution
 * takes them, and the Helm command that installs the in-cluster job with the publisher role.
 */
import { apiServerFlags, type Issuer } from '../issuer.js';
import { chartRelease } from './chart.js';

export interface Distribution {
  readonly name: string;
  readonly where: string;
  readonly guide: string;
}

export interface NextSteps {
  /** The new issuer first, the cluster's current one second (when one was read), then the JWKS URI. */
  readonly apiServerFlags: readonly string[];
  readonly clusterIssuer?: string;
  readonly distributions: readonly Distribution[];
  readonly helm: string;
}

/** One line each; the guide has the exact file and how to check it took effect. */
export const distributions: readonly Distribution[] = [
  {
    name: 'kubeadm',
    where: 'ClusterConfiguration apiServer.extraArgs (kube-apiserver static pod manifest)',
    guide: 'docs/kubeadm.md',
  },
  { name: 'k3s', where: 'kube-apiserver-arg in /etc/rancher/k3s/config.yaml, then restart k3s', guide: 'docs/k3s.md' },
  {
    name: 'RKE2',
    where: 'kube-apiserver-arg in /etc/rancher/rke2/config.yaml, then restart rke2-server',
    guide: 'docs/rke2.md',
  },
  { name: 'Talos', where: 'cluster.apiServer.extraArgs in the machine config', guide: 'docs/talos.md' },
  {
    name: 'OpenShift',
    where: 'spec.serviceAccountIssuer of the cluster Authentication resource (one issuer; the old one is trusted 24 h)',
    guide: 'docs/openshift.md',
  },
];

/** A word a POSIX shell takes as it is, quoted when it holds anything else. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9._:/=@+-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface HelmValues {
  readonly issuer: Issuer;
  readonly region: string;
  readonly roleArn: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** `--account-role`, as the chart's `aws.accountRoles` takes them (ARN or ARN#EXTERNAL_ID). */
  readonly accountRoles?: readonly string[];
}

/**
 * `helm install` with the values the chart takes (charts/irsa-issuer/values.yaml): the issuer
 * (which implies the bucket and prefix), the region, the role to assume, and the ServiceAccount the
 * role trusts. The image must be built and pushed first (README, "In the cluster").
 */
export function helmInstall(values: HelmValues): string {
  // --set splits on commas; a comma inside a value is written as \, (quoted for the shell).
  const set = (key: string, value: string) => `--set ${key}=${shellWord(value.replaceAll(',', '\\,'))}`;
  return [
    `helm install ${chartRelease} charts/irsa-issuer -n ${shellWord(values.namespace)} --create-namespace`,
    set('image.repository', 'REGISTRY/irsa-issuer'),
    set('issuer', values.issuer.url),
    set('region', values.region),
    set('aws.roleArn', values.roleArn),
    set('serviceAccount.name', values.serviceAccount),
    // A list: --set key={a,b}; neither an ARN nor an external ID holds a comma or a brace.
    ...(values.accountRoles === undefined || values.accountRoles.length === 0
      ? []
      : [`--set ${shellWord(`aws.accountRoles={${values.accountRoles.join(',')}}`)}`]),
  ].join(' \\\n    ');
}

export function nextSteps(issuer: Issuer, clusterIssuer: string | undefined, helm: HelmValues): NextSteps {
  return {
    apiServerFlags: apiServerFlags(issuer, clusterIssuer),
    ...(clusterIssuer === undefined ? {} : { clusterIssuer }),
    distributions,
    helm: helmInstall(helm),
  };
}

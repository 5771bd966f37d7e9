/**
 * The Helm chart as Helm itself renders it: `helm lint --strict` and `helm template` with the real
 * binary, every rendered object validated against the Kubernetes schemas (unknown fields are errors),
 * and what a platform engineer would check before installing it: who it runs as, what it may touch,
 * how it authenticates to AWS.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { container, lint, only, podSpec, release, render, template, type Rendered, type Values } from './helm.js';
import { validateStrictly } from './strict-schema.js';

const issuer = 'https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod';
const roleArn = 'arn:aws:iam::111122223333:role/irsa-issuer';
const base = { issuer, image: { repository: 'registry.example.com/irsa-issuer' } };

const modes = ['cronjob', 'daemon'] as const;
type Mode = (typeof modes)[number];
const credentials = {
  'a role (IRSA)': { roleArn },
  'access keys from a Secret': { existingSecret: 'irsa-issuer-aws' },
  "no credentials (the nodes')": {},
} as const;
type Credentials = keyof typeof credentials;

function values(mode: Mode, aws: Credentials, more: Values = {}): Values {
  return { ...base, mode, aws: credentials[aws], ...more };
}

function env(objects: readonly Rendered[]): Record<string, unknown> {
  return Object.fromEntries(
    (container(objects).env ?? []).map((variable) => [variable.name, variable.value ?? variable.valueFrom]),
  );
}

/** Every `--flag=value` argument, as [flag, value]; a bare flag has value true. */
function flags(objects: readonly Rendered[]): [string, string | true][] {
  return (container(objects).args ?? [])
    .filter((arg) => arg.startsWith('--'))
    .map((arg) => {
      const at = arg.indexOf('=');
      return at === -1 ? [arg, true] : [arg.slice(0, at), arg.slice(at + 1)];
    });
}

async function failure(valuesToRender: Values): Promise<string> {
  const run = await template(valuesToRender);
  expect(run.code, 'helm template should have failed').not.toBe(0);
  return run.stderr;
}

describe.each(modes)('mode %s', (mode) => {
  describe.each(Object.keys(credentials) as Credentials[])('with %s', (aws) => {
    it('lints strict, and every rendered object is valid Kubernetes with no unknown field', async () => {
      const linted = await lint(values(mode, aws));
      expect(linted.stdout + linted.stderr).not.toMatch(/\[(WARNING|ERROR)\]/);
      expect(linted.code).toBe(0);
      const objects = await render(values(mode, aws));
      for (const object of objects) validateStrictly(object);
      const kinds = objects.map((object) => object.kind).sort();
      expect(kinds).toEqual(
        mode === 'cronjob'
          ? ['ClusterRoleBinding', 'CronJob', 'Role', 'RoleBinding', 'ServiceAccount']
          : ['ClusterRoleBinding', 'Deployment', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'],
      );
    });

    it('runs as 65532, non-root, read-only root filesystem, no privilege, no capability; only /tmp is writable', async () => {
      const objects = await render(values(mode, aws));
      const pod = podSpec(objects);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container(objects).securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const writable = (container(objects).volumeMounts ?? []).filter((mount) => mount.readOnly !== true);
      expect(writable.map((mount) => mount.mountPath)).toEqual(['/tmp']);
      expect(pod.volumes?.find((volume) => volume.name === writable[0]?.name)?.emptyDir).toBeDefined();
    });
  });

  it('(a) authenticates with IRSA through its own issuer: a projected token for STS and the variables the SDK reads', async () => {
    const objects = await render(values(mode, 'a role (IRSA)'));
    const volume = podSpec(objects).volumes?.find((candidate) => candidate.projected !== undefined);
    expect(volume?.projected?.sources).toEqual([
      { serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 3600, path: 'token' } },
    ]);
    const mount = container(objects).volumeMounts?.find((candidate) => candidate.name === volume?.name);
    expect(mount?.readOnly).toBe(true);
    expect(env(objects)).toEqual({
      AWS_ROLE_ARN: roleArn,
      AWS_WEB_IDENTITY_TOKEN_FILE: `${mount?.mountPath ?? 'unmounted'}/token`,
      AWS_REGION: 'eu-west-1',
      AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    });
  });

  it('(b) takes access keys from the Secret, under the key names given, and mounts no token', async () => {
    const objects = await render(
      values(mode, 'access keys from a Secret', {
        aws: {
          existingSecret: 'bootstrap-keys',
          accessKeyIdKey: 'id',
          secretAccessKeyKey: 'secret',
          sessionTokenKey: 'session',
        },
      }),
    );
    expect(env(objects)).toEqual({
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'bootstrap-keys', key: 'id' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'bootstrap-keys', key: 'secret' } },
      AWS_SESSION_TOKEN: { secretKeyRef: { name: 'bootstrap-keys', key: 'session' } },
    });
    expect(podSpec(objects).volumes?.some((volume) => volume.projected !== undefined)).toBe(false);
  });

  it('(c) with no credentials sets no AWS variable at all', async () => {
    const objects = await render(values(mode, "no credentials (the nodes')"));
    expect(container(objects).env).toBeUndefined();
    expect(podSpec(objects).volumes?.map((volume) => volume.name)).toEqual(['tmp']);
  });

  it('refuses (a) and (b) together, saying which one to remove when', async () => {
    const stderr = await failure(values(mode, 'a role (IRSA)', { aws: { roleArn, existingSecret: 'keys' } }));
    expect(stderr).toMatch(/aws\.roleArn and aws\.existingSecret are both set/);
    expect(stderr).toMatch(/remove aws\.existingSecret/);
  });
});

describe('AWS_REGION for IRSA', () => {
  it('is the region value when given, else the one the S3 issuer names', async () => {
    expect(env(await render(values('cronjob', 'a role (IRSA)', { region: 'eu-central-1' }))).AWS_REGION).toBe(
      'eu-central-1',
    );
    expect(
      env(await render(values('cronjob', 'a role (IRSA)', { issuer: 'https://b.s3.amazonaws.com/p' }))).AWS_REGION,
    ).toBe('us-east-1');
  });

  it('must be given for an issuer that is not an S3 URL', async () => {
    const stderr = await failure(
      values('cronjob', 'a role (IRSA)', { issuer: 'https://oidc.example.com/prod', target: 's3://my-bucket/prod' }),
    );
    expect(stderr).toMatch(/set region/);
  });
});

describe('RBAC', () => {
  it.each(modes)(
    '%s: reads the issuer through the built-in ClusterRole and may mint tokens for its own ServiceAccount only',
    async (mode) => {
      const objects = await render(values(mode, 'a role (IRSA)'));
      const serviceAccount = only(objects, 'ServiceAccount');
      const subject = { kind: 'ServiceAccount', name: serviceAccount.metadata.name, namespace: release.namespace };
      expect(podSpec(objects).serviceAccountName).toBe(serviceAccount.metadata.name);

      expect(objects.some((object) => object.kind === 'ClusterRole')).toBe(false);
      const clusterBinding = only(objects, 'ClusterRoleBinding') as unknown as IClusterRoleBinding;
      expect(clusterBinding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'system:service-account-issuer-discovery',
      });
      expect(clusterBinding.subjects).toEqual([subject]);
      expect(clusterBinding.metadata?.name).toContain(release.name);

      const role = only(objects, 'Role') as unknown as IRole;
      expect(role.rules).toEqual([
        {
          apiGroups: [''],
          resources: ['serviceaccounts/token'],
          resourceNames: [serviceAccount.metadata.name],
          verbs: ['create'],
        },
      ]);
      const binding = only(objects, 'RoleBinding') as unknown as IRoleBinding;
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: role.metadata?.name,
      });
      expect(binding.subjects).toEqual([subject]);

      for (const rule of role.rules ?? []) {
        for (const list of [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames])
          expect(list ?? []).not.toContain('*');
      }
      expect(objects.some((object) => object.kind === 'PodDisruptionBudget')).toBe(false);
    },
  );

  it('binds an existing ServiceAccount by name when the chart does not create one', async () => {
    const objects = await render(
      values('cronjob', 'a role (IRSA)', { serviceAccount: { create: false, name: 'publisher' } }),
    );
    expect(objects.some((object) => object.kind === 'ServiceAccount')).toBe(false);
    expect((only(objects, 'Role') as unknown as IRole).rules?.[0]?.resourceNames).toEqual(['publisher']);
    expect(podSpec(objects).serviceAccountName).toBe('publisher');
  });
});

describe('mode cronjob', () => {
  it('runs sync on the schedule, one run at a time, bounded in time and retries, keeping a few jobs', async () => {
    const objects = await render(values('cronjob', 'a role (IRSA)', { schedule: '*/5 * * * *' }));
    const cronJob = only(objects, 'CronJob') as unknown as ICronJob;
    expect(cronJob.spec).toMatchObject({
      schedule: '*/5 * * * *',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: { backoffLimit: 2, activeDeadlineSeconds: 600, template: { spec: { restartPolicy: 'Never' } } },
      },
    });
    expect(container(objects).args?.[0]).toBe('sync');
    expect(container(objects).ports).toBeUndefined();
  });
});

describe('mode daemon', () => {
  it('is one Recreate replica with probes on /healthz and /readyz and the metrics port', async () => {
    const objects = await render(values('daemon', 'a role (IRSA)', { schedule: '*/30 * * * * *' }));
    const deployment = only(objects, 'Deployment') as unknown as IDeployment;
    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.strategy).toEqual({ type: 'Recreate' });
    const daemon = container(objects);
    expect(daemon.args?.slice(0, 4)).toEqual([
      'daemon',
      '--schedule=*/30 * * * * *',
      '--listen=:8080',
      '--shutdown-grace=25',
    ]);
    expect(daemon.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(daemon.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(daemon.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(podSpec(objects).terminationGracePeriodSeconds).toBe(30);
  });

  it('keeps a failing daemon scrapable: the metrics Service publishes not-ready addresses', async () => {
    const service = only(await render(values('daemon', 'a role (IRSA)')), 'Service') as unknown as IService;
    expect(service.spec?.publishNotReadyAddresses).toBe(true);
    expect(service.spec?.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('renders a valid ServiceMonitor when asked, with the labels Prometheus selects by', async () => {
    const objects = await render(
      values('daemon', 'a role (IRSA)', {
        metrics: { serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus' } } },
      }),
    );
    const monitor = only(objects, 'ServiceMonitor');
    validateStrictly(monitor);
    expect(monitor.metadata.labels?.release).toBe('kube-prometheus');
    expect(monitor.spec).toMatchObject({ endpoints: [{ port: 'http', path: '/metrics' }] });
  });

  it('refuses a shutdown grace that Kubernetes would cut short', async () => {
    const stderr = await failure(
      values('daemon', 'a role (IRSA)', { daemon: { shutdownGraceSeconds: 30, terminationGracePeriodSeconds: 30 } }),
    );
    expect(stderr).toMatch(
      /shutdownGraceSeconds \(30\) must be less than daemon\.terminationGracePeriodSeconds \(30\)/,
    );
  });
});

describe('settings', () => {
  it('passes every CLI setting as an argument, visible in kubectl describe, none as an IRSA_ISSUER_ variable', async () => {
    const objects = await render(
      values('cronjob', "no credentials (the nodes')", {
        target: 's3://my-bucket/clusters/prod',
        s3Endpoint: 'https://minio.example.com',
        region: 'eu-west-1',
        audiences: ['sts.amazonaws.com', 'vault'],
        tags: { cluster: 'prod', team: 'platform' },
        thumbprints: ['a'.repeat(40)],
        verify: true,
        register: false,
        cacheControl: 'max-age=60',
        logLevel: 'debug',
        output: 'json',
        extraArgs: ['--prune-audiences'],
        extraEnv: [{ name: 'HTTPS_PROXY', value: 'http://proxy:3128' }],
      }),
    );
    expect(flags(objects)).toEqual([
      ['--issuer', issuer],
      ['--target', 's3://my-bucket/clusters/prod'],
      ['--s3-endpoint', 'https://minio.example.com'],
      ['--region', 'eu-west-1'],
      ['--audience', 'sts.amazonaws.com'],
      ['--audience', 'vault'],
      ['--tag', 'cluster=prod'],
      ['--tag', 'team=platform'],
      ['--thumbprint', 'a'.repeat(40)],
      ['--cache-control', 'max-age=60'],
      ['--verify', true],
      ['--no-register', true],
      ['--log-level', 'debug'],
      ['--output', 'json'],
      ['--prune-audiences', true],
    ]);
    expect(env(objects)).toEqual({ HTTPS_PROXY: 'http://proxy:3128' });
  });

  it('labels every object the Kubernetes way', async () => {
    for (const object of await render(values('daemon', 'a role (IRSA)'))) {
      expect(object.metadata.labels, `${object.kind} ${object.metadata.name}`).toMatchObject({
        'app.kubernetes.io/name': 'irsa-issuer',
        'app.kubernetes.io/instance': release.name,
        'app.kubernetes.io/version': expect.any(String) as unknown,
        'app.kubernetes.io/managed-by': 'Helm',
      });
    }
  });

  it('requests the memory the benchmark measured and caps it', async () => {
    expect(container(await render(values('cronjob', 'a role (IRSA)'))).resources).toEqual({
      requests: { cpu: '50m', memory: '160Mi' },
      limits: { memory: '256Mi' },
    });
  });
});

describe('values.schema.json', () => {
  it.each([
    ['an unknown mode', { mode: 'sidecar' }, /mode/],
    ['an http:// issuer', { issuer: 'http://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod' }, /issuer/],
    ['an issuer with a trailing slash', { issuer: `${issuer}/` }, /issuer/],
    ['no issuer at all', { issuer: '' }, /issuer/],
    ['a string where a number belongs', { cronjob: { backoffLimit: '2' } }, /backoffLimit/],
    [
      "a token lifetime under Kubernetes' minimum",
      { aws: { roleArn, tokenExpirationSeconds: 60 } },
      /tokenExpirationSeconds/,
    ],
    ['a misspelt key', { aws: { rolearn: roleArn } }, /rolearn/],
    ['an unknown top-level key', { schedules: '* * * * *' }, /schedules/],
    ['a six-field schedule for a CronJob', { schedule: '0 */5 * * * *' }, /schedule/],
  ])('rejects %s', async (_name, override, message) => {
    const run = await template({ ...values('cronjob', 'a role (IRSA)'), ...override });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/values don't meet the specifications of the schema|schema/);
    expect(run.stderr).toMatch(message);
  });

  it('accepts a six-field (seconds) schedule for the daemon', async () => {
    expect((await template(values('daemon', 'a role (IRSA)', { schedule: '*/20 * * * * *' }))).code).toBe(0);
  });
});

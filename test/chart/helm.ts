/**
 * Helm as a process: the real binary (scripts/helm.ts extracts it from the npm devDependency that
 * ships it), on the chart in this repository, with values from a file as `helm -f` takes them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { ensureHelm } from '../../scripts/helm.js';

export const chartPath = resolve(import.meta.dirname, '..', '..', 'charts', 'irsa-issuer');
export const release = { name: 'irsa-issuer', namespace: 'irsa-issuer' } as const;

export interface HelmRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A rendered Kubernetes object, as far as the assertions read it. */
export interface Rendered {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

export type Values = Readonly<Record<string, unknown>>;

/** Runs helm with its config, cache and data homes in a temp directory: nothing is read from or written to ~. */
export async function helm(args: readonly string[]): Promise<HelmRun> {
  const binary = await ensureHelm();
  const home = await mkdtemp(join(tmpdir(), 'irsa-helm-'));
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(binary, [...args], { env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Runs `helm SUBCOMMAND ... -f values.json` (JSON is YAML), so every value keeps its JSON type. */
export async function helmWithValues(
  subcommand: readonly string[],
  values: Values,
  extra: readonly string[] = [],
): Promise<HelmRun> {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-values-'));
  try {
    const file = join(dir, 'values.json');
    await writeFile(file, JSON.stringify(values));
    return await helm([...subcommand, '-f', file, ...extra]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function template(values: Values, extra: readonly string[] = []): Promise<HelmRun> {
  return helmWithValues(['template', release.name, chartPath, '--namespace', release.namespace], values, extra);
}

export function lint(values: Values): Promise<HelmRun> {
  return helmWithValues(['lint', '--strict', chartPath, '--namespace', release.namespace], values);
}

/** What `helm install` prints after installing (NOTES.txt), from a client-side dry run. */
export async function notes(values: Values): Promise<string> {
  const run = await helmWithValues(
    ['install', '--dry-run=client', release.name, chartPath, '--namespace', release.namespace],
    values,
  );
  if (run.code !== 0) throw new Error(`helm install --dry-run failed (exit ${String(run.code)}):\n${run.stderr}`);
  return run.stdout.slice(run.stdout.indexOf('NOTES:'));
}

/** `helm template` that must succeed, parsed into its objects. */
export async function render(values: Values): Promise<Rendered[]> {
  const run = await template(values);
  if (run.code !== 0) throw new Error(`helm template failed (exit ${String(run.code)}):\n${run.stderr}`);
  return loadAll(run.stdout).filter((document) => document !== null && document !== undefined) as Rendered[];
}

export function only(objects: readonly Rendered[], kind: string): Rendered {
  const matching = objects.filter((object) => object.kind === kind);
  if (matching.length !== 1) throw new Error(`expected one ${kind}, rendered ${String(matching.length)}`);
  return matching[0] as Rendered;
}

export function podSpec(objects: readonly Rendered[]): IPodSpec {
  const cronJob = objects.find((object) => object.kind === 'CronJob') as ICronJob | undefined;
  const deployment = objects.find((object) => object.kind === 'Deployment') as IDeployment | undefined;
  const spec = cronJob?.spec.jobTemplate.spec?.template.spec ?? deployment?.spec?.template.spec;
  if (spec === undefined) throw new Error('rendered neither a CronJob nor a Deployment');
  return spec;
}

export function container(objects: readonly Rendered[]): IContainer {
  const containers = podSpec(objects).containers;
  if (containers.length !== 1) throw new Error(`expected one container, rendered ${String(containers.length)}`);
  return containers[0] as IContainer;
}

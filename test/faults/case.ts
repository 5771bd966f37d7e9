/**
 * One row of a fault table and the checks every row gets: the exit code, what the report on stdout
 * says, what stderr names, which writes reached the store and in what order, that nothing secret
 * was printed, that what is published still satisfies the invariant STS depends on, and that the
 * next run without faults converges.
 */
import { expect } from 'vitest';
import type { FaultRule } from '../stand/faults.js';
import type { BundleRun } from './bundle.js';
import { credentials, type FaultWorld } from './world.js';

export type Document = 'jwks' | 'discovery';
export type CaseRule = Omit<FaultRule, 'name'> & { readonly name?: string };
type Stage = 'read' | 'build' | 'publish' | 'thumbprint' | 'register' | 'verify';

export interface FaultCase {
  /** The user's story: "S3 answers every JWKS write with 503 SlowDown". */
  readonly name: string;
  /** Rules for the proxy in front of moto (S3 and IAM); unnamed ones are named after the case. */
  readonly aws?: readonly CaseRule[];
  /** Rules for the proxy in front of the API server. */
  readonly api?: readonly CaseRule[];
  /** Runs beside the sync, e.g. to act as a second writer while a request is held at a gate. */
  readonly meanwhile?: (world: FaultWorld) => Promise<void>;
  /** Flags added to the sync command line (e.g. a short --timeout for a silent endpoint). */
  readonly args?: readonly string[];
  readonly exit: number;
  /** The kill timer: a run still going at this point hung (60 s when omitted). */
  readonly deadlineMs?: number;
  /** Exit 0: the status of each step the JSON report lists. */
  readonly steps?: Readonly<Partial<Record<Stage, string>>>;
  /** A failure: the stage that failed. */
  readonly failedStage?: Stage;
  /** What stderr must say (what failed, and why). */
  readonly stderr?: RegExp;
  /** The writes that reached the store, in order. */
  readonly landed: readonly Document[];
  /** Further checks on the state the run left, before the next run. */
  readonly afterwards?: (world: FaultWorld) => Promise<void>;
}

interface PrintedReport {
  readonly changed?: boolean;
  readonly steps?: readonly { readonly stage: string; readonly status: string; readonly changes?: readonly string[] }[];
}

export function documentOf(path: string): Document | undefined {
  if (path.endsWith('/openid/v1/jwks')) return 'jwks';
  if (path.endsWith('/.well-known/openid-configuration')) return 'discovery';
  return undefined;
}

/** The object writes the store accepted, in order, as the proxy saw them reach moto. */
export function landedWrites(world: FaultWorld): Document[] {
  return world.aws.requests
    .filter((request) => request.method === 'PUT' && request.upstreamStatus === 200)
    .map((request) => documentOf(request.path))
    .filter((document) => document !== undefined);
}

/** Any 12 characters in a row of a secret count as printing it: a quoted snippet leaks too. */
function fragments(secret: string): string[] {
  return Array.from({ length: Math.max(secret.length - 11, 1) }, (_, index) => secret.slice(index, index + 12));
}

export function expectNothingSecret(run: BundleRun, world: FaultWorld): void {
  const printed = run.stdout + run.stderr;
  for (const secret of [world.token, credentials.secretAccessKey]) {
    const leaked = fragments(secret).find((fragment) => printed.includes(fragment));
    expect(leaked, 'a secret, or part of one, was printed').toBeUndefined();
  }
}

export function expectSuccessReport(run: BundleRun, steps: Readonly<Partial<Record<Stage, string>>>): PrintedReport {
  const report = JSON.parse(run.stdout) as PrintedReport;
  const statuses = Object.fromEntries((report.steps ?? []).map((step) => [step.stage, step.status]));
  expect(statuses).toMatchObject(steps);
  return report;
}

/** A failed run's report, when one is printed: it names the failing stage and every write made. */
export function expectFailureReport(run: BundleRun, failedStage: Stage | undefined, landed: readonly Document[]): void {
  const report = JSON.parse(run.stdout) as PrintedReport;
  const steps = report.steps ?? [];
  if (failedStage !== undefined) expect(steps.find((step) => step.stage === failedStage)?.status).toBe('failed');
  const changes = steps.flatMap((step) => step.changes ?? []).join('\n');
  for (const document of landed)
    expect(changes).toContain(document === 'jwks' ? 'openid/v1/jwks' : '.well-known/openid-configuration');
  expect(report.changed).toBe(landed.length > 0);
}

/** After any fault: the published state is one STS accepts, or nothing at all. */
export async function expectInvariant(world: FaultWorld): Promise<void> {
  const state = await world.invariant();
  expect(state.violations).toEqual([]);
}

/** The next run with no fault ends in the state every case must reach: published, registered, exit 0. */
export async function expectConvergence(world: FaultWorld): Promise<BundleRun> {
  world.aws.reset();
  world.api.reset();
  const clean = await world.sync();
  expect(clean.hung).toBe(false);
  expect(clean.stderr).toBe('');
  expect(clean.code).toBe(0);
  expect(await world.invariant()).toEqual({ published: true, violations: [] });
  expect((await world.provider())?.ThumbprintList).toBeDefined();
  return clean;
}

export async function runCase(world: FaultWorld, faultCase: FaultCase): Promise<BundleRun> {
  await world.reset();
  faultCase.aws?.forEach((rule, index) => {
    world.aws.inject({ name: `${faultCase.name} #${String(index + 1)}`, ...rule });
  });
  faultCase.api?.forEach((rule, index) => {
    world.api.inject({ name: `${faultCase.name} #${String(index + 1)}`, ...rule });
  });
  const running = world.startSync(faultCase.args ?? [], faultCase.deadlineMs);
  try {
    await faultCase.meanwhile?.(world);
  } catch (error) {
    running.child.kill('SIGKILL');
    await running.done;
    throw error;
  }
  const run = await running.done;
  expect(run.hung, `still running at its deadline; stderr: ${run.stderr}`).toBe(false);
  expect(run.code, `stderr: ${run.stderr}`).toBe(faultCase.exit);
  if (faultCase.exit === 0) expectSuccessReport(run, faultCase.steps ?? {});
  else expectFailureReport(run, faultCase.failedStage, faultCase.landed);
  if (faultCase.stderr !== undefined) expect(run.stderr).toMatch(faultCase.stderr);
  expectNothingSecret(run, world);
  expect(landedWrites(world)).toEqual(faultCase.landed);
  await expectInvariant(world);
  await faultCase.afterwards?.(world);
  await expectConvergence(world);
  return run;
}

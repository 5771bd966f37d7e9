/**
 * `daemon --verify`: every run ends with the checks `irsa-issuer verify` makes, against the
 * documents as a stranger fetches them (here a static HTTPS host on a generated chain serving the
 * target directory); a failed check fails the run and readiness says which.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';
import { startTlsHost, type TlsHost } from '../stand/tls-host.js';
import { everySecond, startTestCluster, type TestCluster } from './cluster.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';
import { scrape } from './scrape.js';

let cluster: TestCluster;
let chain: CertificateChain;
let host: TlsHost | undefined;
const started: DaemonProcess[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  chain = await createCertificateChain(['127.0.0.1']);
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((daemon) => daemon.kill()));
  await host?.stop();
  host = undefined;
  cluster.reset();
});

afterAll(async () => {
  await cluster.stop();
  await rm(chain.directory, { recursive: true, force: true });
});

describe('irsa-issuer daemon --verify', () => {
  it('checks what a stranger sees after every run, and fails the run when the host stops serving', async () => {
    const root = await cluster.directory();
    const target = join(root, 'clusters/prod');
    await mkdir(target, { recursive: true });
    host = await startTlsHost({
      directory: root,
      certificate: chain.leaf,
      presentedChain: [chain.intermediate.certPem],
    });
    const issuer = `${host.url}/clusters/prod`;
    cluster.stand.setIssuer(issuer);
    const daemon = await startDaemonProcess([
      '--schedule',
      everySecond,
      '--issuer',
      issuer,
      '--target',
      `file://${target}`,
      '--no-register',
      '--kubeconfig',
      cluster.kubeconfig,
      '--verify',
      '--ca-file',
      chain.root.certPath,
      '--output',
      'json',
    ]);
    started.push(daemon);

    const runs = await daemon.waitForRuns(2);
    expect(runs.map((run) => run.result)).toEqual(['success', 'success']);
    expect(runs.map((run) => run.steps.verify)).toEqual(['unchanged', 'unchanged']);
    await daemon.poll('/readyz', (answer) => answer.status === 200, '200');

    await host.stop();
    host = undefined;
    const failed = await daemon.waitForLog((line) => line.msg === 'run failed', 'a failed run');
    expect(failed).toMatchObject({
      failure: { stage: 'verify', code: 'ERR_VERIFICATION_FAILED' },
      steps: { publish: 'unchanged', verify: 'failed' },
    });
    const notReady = await daemon.poll('/readyz', (answer) => answer.status === 503, '503');
    expect(notReady.body).toMatch(
      new RegExp(`^last run failed at verify: verification of ${issuer.replaceAll('.', '\\.')} failed: `),
    );
    expect((await scrape(daemon)).value('irsa_issuer_failures_total', { stage: 'verify' })).toBeGreaterThanOrEqual(1);
  });
});

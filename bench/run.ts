/**
 * `npm run bench`: the numbers behind irsa-issuer's speed and memory claims, printed, not asserted.
 * - building the documents (validate every key with jose, sort, serialise) for 2, 10 and 100 keys;
 * - the bundle's cold start (`--version`) and a full `sync` to a directory against the API server
 *   stand-in: wall time and peak RSS of the process, as a CronJob pod would see them.
 * Targets (a CronJob every few minutes on a small pod): sync < 1 s wall, < 150 MiB RSS.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseIssuer } from '../src/issuer.js';
import { buildDocuments } from '../src/documents/build.js';
import { startApiServer } from '../test/stand/apiserver.js';

const bundle = resolve(import.meta.dirname, '..', 'dist', 'irsa-issuer.mjs');
const reporter = resolve(import.meta.dirname, 'rss-reporter.mjs');
const issuer = parseIssuer('https://oidc.example.com/clusters/bench');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function benchBuild(keyCount: number): Promise<void> {
  const keys = Array.from({ length: keyCount }, (_, index) =>
    index % 2 === 0
      ? generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
  );
  const metadata = { issuer: issuer.url, keys, source: 'bench' };
  const times: number[] = [];
  for (let run = 0; run < 50; run++) {
    const started = performance.now();
    await buildDocuments(issuer, metadata, { allowIssuerMismatch: false });
    times.push(performance.now() - started);
  }
  console.log(
    `build documents, ${String(keyCount).padStart(3)} keys: median ${median(times).toFixed(2)} ms over 50 runs`,
  );
}

async function runBundle(args: string[]): Promise<{ ms: number; rssMiB: number }> {
  const started = performance.now();
  const { stderr } = await promisify(execFile)(process.execPath, ['--import', reporter, bundle, ...args]);
  const ms = performance.now() - started;
  const rss = /bench-max-rss-kib (\d+)/.exec(stderr)?.[1];
  return { ms, rssMiB: Number(rss ?? 0) / 1024 };
}

async function benchBundle(): Promise<void> {
  const stand = await startApiServer({ issuer: issuer.url });
  try {
    const starts: { ms: number; rssMiB: number }[] = [];
    for (let run = 0; run < 5; run++) starts.push(await runBundle(['--version']));
    console.log(
      `bundle cold start (--version): median ${median(starts.map((s) => s.ms)).toFixed(0)} ms, peak RSS ${median(starts.map((s) => s.rssMiB)).toFixed(0)} MiB`,
    );
    const target = await mkdtemp(join(tmpdir(), 'irsa-bench-'));
    const sync = [
      'sync',
      '--issuer',
      issuer.url,
      '--target',
      `file://${target}`,
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'reader',
      '--no-register',
      '--log-level',
      'silent',
    ];
    const first = await runBundle(sync);
    const again: { ms: number; rssMiB: number }[] = [];
    for (let run = 0; run < 5; run++) again.push(await runBundle(sync));
    console.log(
      `sync to a directory, first (writes): ${first.ms.toFixed(0)} ms, peak RSS ${first.rssMiB.toFixed(0)} MiB`,
    );
    console.log(
      `sync to a directory, unchanged: median ${median(again.map((s) => s.ms)).toFixed(0)} ms, peak RSS ${median(again.map((s) => s.rssMiB)).toFixed(0)} MiB`,
    );
  } finally {
    await stand.stop();
  }
}

console.log(`irsa-issuer bench on Node ${process.version}`);
for (const count of [2, 10, 100]) await benchBuild(count);
await benchBundle();

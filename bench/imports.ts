/**
 * What each heavy dependency costs to load, alone: each is bundled the way scripts/build.mjs bundles
 * the CLI (esbuild, minified ESM, one file), then started N times beside `node -e 0`; the table is
 * the median extra wall time and peak RSS over Node's own. Run by `npm run bench` (bench/run.ts).
 */
import { build } from 'esbuild';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, type Sample } from './measure.js';

/** What the bundle holds, and the names a reader knows them by. */
export const heavyImports: readonly (readonly [string, string])[] = [
  ['nothing (the baseline: an empty bundle)', 'globalThis.x = 0;'],
  ['@kubernetes/client-node', "import { KubeConfig } from '@kubernetes/client-node'; globalThis.x = KubeConfig;"],
  ['undici (inside client-node)', "import * as m from 'undici'; globalThis.x = m;"],
  [
    '@aws-sdk/client-s3',
    "import * as m from '@aws-sdk/client-s3'; globalThis.x = new m.S3Client({ region: 'us-east-1' });",
  ],
  [
    '@aws-sdk/client-iam',
    "import * as m from '@aws-sdk/client-iam'; globalThis.x = new m.IAMClient({ region: 'us-east-1' });",
  ],
  [
    '@aws-sdk/client-sts',
    "import * as m from '@aws-sdk/client-sts'; globalThis.x = new m.STSClient({ region: 'us-east-1' });",
  ],
  ['prom-client', "import * as m from 'prom-client'; globalThis.x = m;"],
  ['node-cron', "import * as m from 'node-cron'; globalThis.x = m;"],
  ['pino', "import * as m from 'pino'; globalThis.x = m;"],
  ['pino-pretty', "import * as m from 'pino-pretty'; globalThis.x = m;"],
  ['jose', "import * as m from 'jose'; globalThis.x = m;"],
  ['commander', "import * as m from 'commander'; globalThis.x = m;"],
];

export interface ImportCost {
  readonly name: string;
  readonly bundleKiB: number;
  readonly runs: readonly Sample[];
}

export async function importCosts(runs: number): Promise<ImportCost[]> {
  const directory = await mkdtemp(join(tmpdir(), 'irsa-bench-imports-'));
  try {
    const costs: ImportCost[] = [];
    for (const [name, source] of heavyImports) {
      const outfile = join(directory, `${costs.length}.mjs`);
      await build({
        stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'esm',
        minify: true,
        logLevel: 'error',
        banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      });
      const samples = await measure([process.execPath, outfile], runs);
      costs.push({ name, bundleKiB: (await stat(outfile)).size / 1024, runs: samples });
    }
    return costs;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

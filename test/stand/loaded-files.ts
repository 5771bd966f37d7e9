/**
 * Which files of the built bundle a command line loads: the bundle run with a module hook that
 * records every file: URL Node loads (test/cli/lazy-loading.test.ts, bench/loads.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundle = join(import.meta.dirname, '..', '..', 'dist', 'irsa-issuer.mjs');

// Appends the path of every file: URL Node loads to the file named by LOADED_LOG.
const recorder = `data:text/javascript,${encodeURIComponent(
  `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({ load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.LOADED_LOG, url + '\\n');
  return next(url, context);
} });`,
)}`;

export interface Loaded {
  readonly code: number;
  /** Paths of the bundle's own files (the entry and chunks) the run loaded. */
  readonly files: readonly string[];
  readonly stderr: string;
}

export async function loadedFiles(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Loaded> {
  const directory = await mkdtemp(join(tmpdir(), 'irsa-loaded-'));
  const log = join(directory, 'loaded.txt');
  try {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', recorder, bundle, ...args],
        { env: { ...env, LOADED_LOG: log, NODE_DISABLE_COMPILE_CACHE: '1' } },
        (error, _stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr });
        },
      );
    });
    const urls = (await readFile(log, 'utf8').catch(() => '')).split('\n');
    const files = urls.filter((url) => url.includes('/dist/')).map((url) => fileURLToPath(url));
    return { code, files, stderr };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

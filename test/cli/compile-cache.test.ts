/**
 * The bundle turns on Node's compile cache (src/cli/main.ts). A cache it cannot write, or one whose
 * files are garbage, may only cost time: the command's output and exit code stay exactly those of a
 * run with the cache off.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bundle = join(import.meta.dirname, '..', '..', 'dist', 'irsa-issuer.mjs');
let directory: string;
let args: string[];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'irsa-compile-cache-'));
  const keyFile = join(directory, 'sa.pub');
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  args = [bundle, 'render', '--issuer', 'https://oidc.example.com/prod', '--public-key-file', keyFile];
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function render(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, {
      env: { PATH: process.env.PATH, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function filesUnder(path: string): Promise<string[]> {
  const entries = await readdir(path, { recursive: true });
  const files: string[] = [];
  for (const entry of entries) if ((await stat(join(path, entry))).isFile()) files.push(join(path, entry));
  return files;
}

describe("the bundle's compile cache", () => {
  it('is written on the first run and read on the next, with the same output as no cache at all', async () => {
    const expected = await render({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(expected.code).toBe(0);
    const cache = join(directory, 'cache');
    expect(await render({ NODE_COMPILE_CACHE: cache })).toEqual(expected);
    expect((await filesUnder(cache)).length).toBeGreaterThan(0);
    expect(await render({ NODE_COMPILE_CACHE: cache })).toEqual(expected);
  });

  it('full of garbage, is recompiled, not trusted', async () => {
    const expected = await render({ NODE_DISABLE_COMPILE_CACHE: '1' });
    const cache = join(directory, 'corrupt');
    await render({ NODE_COMPILE_CACHE: cache });
    const files = await filesUnder(cache);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) await writeFile(file, Buffer.alloc(4096, 0x5a));
    expect(await render({ NODE_COMPILE_CACHE: cache })).toEqual(expected);
    expect(await render({ NODE_COMPILE_CACHE: cache })).toEqual(expected);
  });

  it('in a place it cannot write, stays off and the command works', async () => {
    const expected = await render({ NODE_DISABLE_COMPILE_CACHE: '1' });
    // A path below a regular file: no directory can be made there, not even by root.
    const blocker = join(directory, 'not-a-directory');
    await writeFile(blocker, 'x');
    expect(await render({ NODE_COMPILE_CACHE: join(blocker, 'cache') })).toEqual(expected);
    const readOnly = join(directory, 'read-only');
    await mkdir(readOnly, { mode: 0o555 });
    expect(await render({ NODE_COMPILE_CACHE: readOnly })).toEqual(expected);
  });
});

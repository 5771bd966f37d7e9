import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { cli } from './cli.js';

describe('the irsa-issuer program', () => {
  it('exits 2 with the command list when no command is given, so a mis-templated CronJob never "succeeds"', async () => {
    const result = await cli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Commands:[\s\S]*sync/);
  });

  it('exits 0 for --version and --help', async () => {
    expect((await cli(['--version'])).code).toBe(0);
    expect((await cli(['--help'])).code).toBe(0);
  });

  it('reports a failure it did not expect as a bug, with its details, and exits 1', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'irsa-program-'));
    try {
      const keyFile = join(directory, 'sa.pub');
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await writeFile(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
      // A stdout that throws under the command: no stage can cause this, so the CLI must call it a bug.
      const stdout = new PassThrough();
      stdout.write = () => {
        throw new TypeError('stdout vanished');
      };
      const stderr = new PassThrough();
      const chunks: Buffer[] = [];
      stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
      const argv = ['render', '--issuer', 'https://oidc.example.com', '--public-key-file', keyFile];
      const code = await runCli(argv, { stdout, stderr, stdin: Readable.from(['']), env: {} });
      const text = Buffer.concat(chunks).toString('utf8');
      expect(code).toBe(1);
      expect(text).toMatch(/internal error: TypeError: stdout vanished/);
      expect(text).toMatch(/This is a bug/);
      expect(text).not.toMatch(/^\s+at /m);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

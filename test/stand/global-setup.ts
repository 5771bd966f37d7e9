import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { motoInstallHint } from './moto.js';
import { checkTinyproxy } from './proxy.js';

/**
 * Fail the whole run up front, with the fix, rather than skip the tests that need moto; build the
 * bundle, which several tests run as a process; and give the run a temporary directory of its own
 * (TMPDIR, which every test file and process inherits), removed at the end: the stand-ins write CA
 * keys and bearer tokens there, and none may outlive the run.
 */
export default async function prepare(): Promise<() => void> {
  try {
    await promisify(execFile)('moto_server', ['--help']);
  } catch {
    throw new Error(`moto_server is not on the PATH. ${motoInstallHint}`);
  }
  try {
    await promisify(execFile)('openssl', ['version']);
  } catch {
    throw new Error(
      'openssl is not on the PATH; the thumbprint tests use openssl s_client as their oracle (apt-get install openssl).',
    );
  }
  await checkTinyproxy();
  await promisify(execFile)(process.execPath, ['scripts/build.mjs']);
  const scratch = mkdtempSync(join(tmpdir(), 'irsa-issuer-tests-'));
  // Searchable by everyone, as /tmp is: the image test runs the bundle as another user (65532) from a
  // directory in here. What the tests create inside keeps its own, private, permissions.
  chmodSync(scratch, 0o755);
  process.env.TMPDIR = scratch;
  return () => {
    rmSync(scratch, { recursive: true, force: true });
  };
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { motoInstallHint } from './moto.js';

/**
 * Fail the whole run up front, with the fix, rather than skip the tests that need moto; and build
 * the bundle, which test/bundle.test.ts runs as a process.
 */
export default async function prepare(): Promise<void> {
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
  await promisify(execFile)(process.execPath, ['scripts/build.mjs']);
}

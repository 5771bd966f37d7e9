/**
 * The built bundle (dist/irsa-issuer.mjs, built by the global setup) run as a process, the way a
 * person or the in-cluster job runs it beside Terraform: only PATH and the variables given.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { dummyCredentials } from '../stand/iam.js';
import type { MotoServer } from '../stand/moto.js';
import { testRegion } from '../stand/s3.js';

const bundle = join(import.meta.dirname, '..', '..', 'dist', 'irsa-issuer.mjs');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function irsaIssuer(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, ...args],
      { env: { PATH: process.env.PATH, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      },
    );
  });
}

/** AWS credentials and every endpoint the CLI uses, pointed at moto, as the SDK reads them. */
export function motoEnv(moto: MotoServer): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: dummyCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: dummyCredentials.secretAccessKey,
    AWS_REGION: testRegion,
    AWS_ENDPOINT_URL_IAM: moto.endpoint,
    AWS_ENDPOINT_URL_STS: moto.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The thumbprint `irsa-issuer thumbprint URL` computes, as the module's README tells a user to. */
export async function thumbprintOf(url: string): Promise<string> {
  const run = await irsaIssuer(['thumbprint', url, '--output', 'json']);
  if (run.code !== 0) throw new Error(`irsa-issuer thumbprint ${url} exited ${run.code}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { thumbprint: string }).thumbprint;
}

/** The values of one flag in a list like the module's apiserver_flags output, in order. */
export function flagValues(flags: readonly string[], name: string): string[] {
  return flags.filter((flag) => flag.startsWith(`${name}=`)).map((flag) => flag.slice(name.length + 1));
}

/** Runs the CLI in-process with captured stdout/stderr, as a shell would see it. */
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/program.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function cli(argv: readonly string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<CliResult> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { stdout: stdout.stream, stderr: stderr.stream, stdin: Readable.from([stdin]), env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

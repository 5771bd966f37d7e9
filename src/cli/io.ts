import { Writable } from 'node:stream';
import { redact } from '../redact.js';

/** The process edges a command touches; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** Whatever a stream is sent, with these secrets and every credential-shaped run redacted. */
function redacting<T extends NodeJS.WritableStream>(stream: T, secrets: readonly (string | undefined)[]): T {
  const guarded = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      stream.write(redact(chunk.toString(), secrets));
      callback();
    },
  });
  return Object.assign(guarded, { isTTY: (stream as { isTTY?: boolean }).isTTY }) as unknown as T;
}

/**
 * The edges, with nothing secret getting out through them: an upstream that echoes the AWS secret
 * key or session token in an error must not put it in a report, a message or a log line.
 */
export function guardedIo(io: CliIo): CliIo {
  const secrets = [io.env.AWS_SECRET_ACCESS_KEY, io.env.AWS_SESSION_TOKEN];
  return { ...io, stdout: redacting(io.stdout, secrets), stderr: redacting(io.stderr, secrets) };
}

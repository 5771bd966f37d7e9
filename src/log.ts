import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Human-readable lines instead of JSON: the CLI turns this on when stderr is a TTY. */
  pretty?: boolean;
  /** Where log lines go; stderr unless a test captures them. */
  destination?: NodeJS.WritableStream;
}

/**
 * Paths whose values never reach a log line. Tokens, credentials and key material are dropped by
 * configuration so that a careless `log.info({ request })` cannot leak them.
 */
const redactedPaths = [
  'token',
  '*.token',
  'bearerToken',
  '*.bearerToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'credentials',
  '*.credentials',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
  'status.token',
  '*.status.token',
  'd',
  '*.d',
  'keys[*].d',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const config = {
    level: options.level ?? 'info',
    base: { name: 'irsa-issuer' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
  };
  if (options.pretty) {
    // A synchronous stream, not a transport: transports run in worker threads that a single-file
    // bundle cannot load.
    return pino(config, pretty({ destination, sync: true, colorize: true, ignore: 'pid,hostname,name' }));
  }
  return pino(config, destination);
}

/**
 * How every AWS client of ours talks: a connect deadline, an idle deadline that throws (the SDK's
 * own only logs a warning unless told to throw, so a silent endpoint hung a run), and the SDK's
 * HTTP handler's log lines (it otherwise writes raw `[WARN]` lines to the console) through our logger
 * as JSON. The client-level SDK logger stays off: it logs every expected miss (NoSuchKey) as an error.
 * And the egress route: the SDK v3 ignores HTTPS_PROXY and NO_PROXY, so its handler gets our agents,
 * which honour them (and `--proxy`, `--ca-file`); the web-identity credential provider's own STS
 * client inherits the handler, so AssumeRoleWithWebIdentity goes the same way.
 */
import { egressAgents, type Egress } from './egress/index.js';
import type { Logger } from './log.js';

/** A TCP/TLS connection that is not up within this is not coming. */
const connectionTimeoutMs = 5_000;
/** No byte for this long on an open request: the endpoint has stopped answering. */
const idleTimeoutMs = 30_000;

export interface AwsClientOptions {
  readonly logger?: Logger;
  /** The idle deadline of one request; 30 s when omitted. */
  readonly timeoutMs?: number;
  /** Proxy, NO_PROXY and extra CA; direct with Node's trust store when omitted. */
  readonly egress?: Egress;
}

interface SdkLogger {
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

function sdkLogger(logger: Logger): SdkLogger {
  const log = logger.child({ component: 'aws-sdk' });
  const line = (content: unknown[]) =>
    content.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
  return {
    debug: (...content) => {
      log.debug(line(content));
    },
    info: (...content) => {
      log.debug(line(content));
    },
    warn: (...content) => {
      log.warn(line(content));
    },
    error: (...content) => {
      log.error(line(content));
    },
  };
}

/** The part of an S3, IAM or STS client's configuration that is the same for all three. */
export function awsClientConfig(options: AwsClientOptions = {}) {
  const logger = options.logger === undefined ? undefined : sdkLogger(options.logger);
  const connectionTimeout = Math.min(connectionTimeoutMs, options.timeoutMs ?? connectionTimeoutMs);
  return {
    requestHandler: {
      // The handler's connect deadline starts once the agent hands over a socket, so the tunnel
      // through a proxy gets the same deadline of its own.
      ...(options.egress === undefined ? {} : egressAgents(options.egress, { connectTimeoutMs: connectionTimeout })),
      connectionTimeout,
      requestTimeout: options.timeoutMs ?? idleTimeoutMs,
      throwOnRequestTimeout: true,
      ...(logger === undefined ? {} : { logger }),
    },
  };
}

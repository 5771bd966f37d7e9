import { parseIssuer } from '../../src/config.js';
import type { SyncOptions } from '../../src/run.js';

/** The options `irsa-issuer sync --issuer URL --no-register` runs with, plus what a test changes. */
export function syncOptions(issuerUrl: string, overrides: Partial<SyncOptions> = {}): SyncOptions {
  return {
    issuer: parseIssuer(issuerUrl),
    allowIssuerMismatch: false,
    allowKeyReplacement: false,
    cacheControl: 'max-age=300',
    dryRun: false,
    ...overrides,
  };
}

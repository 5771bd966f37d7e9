import { defaultAudience, parseIssuer } from '../../src/issuer.js';
import type { SyncRequest } from '../../src/sync.js';

/** What `irsa-issuer sync --issuer URL --no-register` asks for, plus what a test changes. */
export function syncOptions(issuerUrl: string, overrides: Partial<SyncRequest> = {}): SyncRequest {
  return {
    issuer: parseIssuer(issuerUrl),
    audiences: [defaultAudience],
    allowIssuerMismatch: false,
    allowKeyReplacement: false,
    cacheControl: 'max-age=300',
    dryRun: false,
    ...overrides,
  };
}

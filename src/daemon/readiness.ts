/**
 * `/readyz`: ready once the last run succeeded and is younger than two schedule intervals, and the
 * key that signs the daemon's own AWS token is published; otherwise not, with a one-line reason.
 */
import type { RunFailure } from './runs.js';

export interface ReadinessFacts {
  /** The last finished run: when it finished, and why it failed if it did. */
  readonly last?: { readonly finishedAt: Date; readonly failure?: RunFailure };
  readonly intervalMs: number;
  /** Set when the daemon's own token is signed by a key missing from the published JWKS. */
  readonly lockout?: string;
  readonly stopping: boolean;
}

export interface Readiness {
  readonly ready: boolean;
  /** One line, bounded: probes and `kubectl describe` show it. */
  readonly reason: string;
}

/** Room for the lock-out's reason with a 255-character issuer; the rest of a message is in the log. */
const maxReasonLength = 1000;

/** A message's first line, trimmed to what a probe's output should carry. */
export function oneLine(text: string, max = maxReasonLength): string {
  const first = (text.split('\n')[0] ?? '').trim();
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

function seconds(ms: number): string {
  return `${String(Math.round(ms / 1000))} s`;
}

export function readiness(facts: ReadinessFacts, now: Date): Readiness {
  const notReady = (reason: string): Readiness => ({ ready: false, reason: oneLine(reason) });
  if (facts.stopping) return notReady('shutting down');
  // First: a locked-out daemon's runs fail with AWS's refusal, which hides the cause.
  if (facts.lockout !== undefined) return notReady(facts.lockout);
  const { last } = facts;
  if (last === undefined) return notReady('no run has finished yet');
  if (last.failure !== undefined) {
    return notReady(`last run failed at ${last.failure.stage}: ${oneLine(last.failure.message)}`);
  }
  const limitMs = 2 * facts.intervalMs;
  const success = last.finishedAt;
  const ageMs = now.getTime() - success.getTime();
  if (ageMs > limitMs) {
    return notReady(
      `last success at ${success.toISOString()} is ${seconds(ageMs)} old, older than two schedule intervals ` +
        `(${seconds(limitMs)}): ` +
        'a run is stuck or the schedule stopped firing',
    );
  }
  return { ready: true, reason: `ok: last run succeeded at ${success.toISOString()}` };
}

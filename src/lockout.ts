/**
 * Self-federation lock-out: in the cluster the daemon (and the CronJob's sync) reaches AWS with its
 * own service-account token (AWS_WEB_IDENTITY_TOKEN_FILE), which STS checks against the JWKS it
 * publishes. If the key that signed that token is not published, STS refuses it and the next run
 * cannot reach AWS to publish it: detect that, so readiness and the run's report say so and how to
 * get back in.
 */
import { open } from 'node:fs/promises';
import { decodeProtectedHeader } from 'jose';
import { describeCause } from './errors.js';

/** STS takes web-identity tokens of at most 20,000 characters; anything past that is not one. */
const maxTokenBytes = 20_000;

export type OwnKid = { readonly kid: string } | { readonly problem: string };

/**
 * The `kid` in the header of the token in `path`, read afresh each time: the kubelet rotates the
 * projected token, and a rotated token may be signed by another key. Not verified: the question is
 * only which key STS will look for.
 */
export async function ownTokenKid(path: string): Promise<OwnKid> {
  let token: string;
  try {
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(maxTokenBytes + 1);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      if (bytesRead > maxTokenBytes)
        return { problem: `${path} holds more than ${String(maxTokenBytes)} bytes, which is no web-identity token` };
      token = buffer.subarray(0, bytesRead).toString('utf8').trim();
    } finally {
      await file.close();
    }
  } catch (error) {
    return { problem: `cannot read ${path} (${describeCause(error)})` };
  }
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' && kid !== ''
      ? { kid }
      : { problem: `the token in ${path} names no "kid" in its header` };
  } catch (error) {
    return { problem: `${path} does not hold a JWT (${describeCause(error)})` };
  }
}

/**
 * Why the runner is locked out when `kid` is missing from the published key set, naming the way
 * back in: the daemon's readiness reason, and a warning in a sync run's report (the CronJob).
 */
export function lockoutReason(kid: string, issuer: string, runner = 'daemon'): string {
  return (
    `locked out: the key ${kid} that signed this ${runner}'s own AWS token (AWS_WEB_IDENTITY_TOKEN_FILE) is not in ` +
    `the published JWKS, so STS refuses the token and the ${runner} cannot reach AWS to fix it; it recovers once the ` +
    'kubelet refreshes the token with a published key, otherwise run ' +
    `\`irsa-issuer sync --issuer ${issuer}\` (with this daemon's --target and other flags) from a workstation with ` +
    'admin AWS credentials and a kubeconfig for this cluster'
  );
}

/**
 * The end-to-end proof: a token minted by the cluster exactly as a pod's projected token is, checked
 * against the *public* JWKS the way STS checks it, and optionally exchanged at STS for real. The
 * token is a credential: it is passed on, never logged, printed or put in a report.
 */
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { minimumTokenSeconds, mintServiceAccountToken, type ApiServerConnection } from '../cluster/index.js';
import { algorithmForKey, signingAlgorithms, signingKeyProblem, supportedKeyTypes } from '../documents/index.js';
import { describeCause } from '../errors.js';
import { apiServerFlags, type Issuer } from '../issuer.js';
import { failed, passed, type Outcome } from './check.js';
import { publishWith } from './commands.js';
import type { PublishedJwks } from './documents.js';

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** Mints a token for a service account with that audience; TokenRequest against a live cluster. */
export type TokenMinter = (serviceAccount: ServiceAccountRef, audience: string) => Promise<string>;

export function tokenMinterFor(connection: ApiServerConnection, timeoutMs?: number): TokenMinter {
  return (serviceAccount, audience) =>
    mintServiceAccountToken(connection, {
      ...serviceAccount,
      audience,
      expirationSeconds: minimumTokenSeconds,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
}

/** A minted token that verified, and what it says (never the token itself in a report). */
export interface VerifiedToken {
  readonly token: string;
  readonly subject: string;
  /** The key it is signed with, and how. */
  readonly kid: string;
  readonly alg: string;
}

/** The API server's clock and ours may disagree a little; the token is seconds old. */
const clockToleranceSeconds = 300;

function claim(token: string, name: keyof JWTPayload): string {
  try {
    const value = decodeJwt(token)[name];
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    return 'unreadable';
  }
}

function header(token: string): { kid: string; alg: string } {
  try {
    const { kid, alg } = decodeProtectedHeader(token);
    return { kid: kid ?? '(none)', alg: alg ?? '(none)' };
  } catch {
    return { kid: '(unreadable)', alg: '(unreadable)' };
  }
}

/**
 * The published key the token names, when it is there but unusable for the token's algorithm: jose
 * (like STS) would skip it and call the kid unknown, which sends people looking for a
 * rotation when the key's `use` or `alg` is what is wrong.
 */
function unusableKey(published: PublishedJwks, kid: string, alg: string): string | undefined {
  const key = published.keys.find((candidate) => candidate.kid === kid);
  if (key === undefined) return undefined;
  const problem = signingKeyProblem(key);
  if (problem !== undefined) return `names kid ${kid}, which ${published.uri} publishes, but that key ${problem}`;
  const verifies = typeof key.alg === 'string' ? key.alg : algorithmForKey(key.kty, key.crv);
  if (verifies !== alg) {
    return (
      `is signed with ${alg}, but ${published.uri} publishes kid ${kid} as a key for ` +
      `${verifies ?? 'no algorithm STS takes'}, so STS and strict clients refuse it`
    );
  }
  return undefined;
}

/** 8. The token verifies against the public JWKS: signature by a published kid, `iss`, `aud`. */
export async function checkToken(
  issuer: Issuer,
  published: PublishedJwks,
  serviceAccount: ServiceAccountRef,
  audience: string,
  mint: TokenMinter,
): Promise<Outcome<VerifiedToken>> {
  const who = `${serviceAccount.namespace}/${serviceAccount.name}`;
  let token: string;
  try {
    token = await mint(serviceAccount, audience);
  } catch (error) {
    return {
      check: failed(
        'token',
        `could not mint a token for ${who}: ${describeCause(error)}`,
        `Fix what the message names, or leave out --service-account to skip the token checks.`,
      ),
    };
  }
  const { kid, alg } = header(token);
  const sync = publishWith(issuer);
  // An algorithm STS never takes is jose's to report (JOSEAlgNotAllowed below), not a key's.
  const unusable = (signingAlgorithms as readonly string[]).includes(alg)
    ? unusableKey(published, kid, alg)
    : undefined;
  if (unusable !== undefined) {
    return {
      check: failed(
        'token',
        `the token for ${who} ${unusable}`,
        `Publish the key as kube-apiserver serves it ("use" "sig", "alg" ${alg}) with ${sync}.`,
      ),
    };
  }
  try {
    const keySet = createLocalJWKSet({ keys: published.keys } as unknown as JSONWebKeySet);
    const { payload } = await jwtVerify(token, keySet, {
      issuer: issuer.url,
      audience,
      algorithms: [...signingAlgorithms],
      clockTolerance: clockToleranceSeconds,
    });
    const subject = payload.sub ?? `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`;
    return {
      check: passed(
        'token',
        `a token for ${subject} (kid ${kid}, ${alg}, aud ${audience}) verifies against ${published.uri}, "iss" ` +
          issuer.url,
      ),
      value: { token, subject, kid, alg },
    };
  } catch (error) {
    const { detail, fix } = explainVerification(error, { issuer, published, audience, kid, token, sync });
    return { check: failed('token', `the token for ${who} ${detail}`, fix) };
  }
}

interface VerificationContext {
  readonly issuer: Issuer;
  readonly published: PublishedJwks;
  readonly audience: string;
  readonly kid: string;
  readonly token: string;
  readonly sync: string;
}

function explainVerification(error: unknown, context: VerificationContext): { detail: string; fix: string } {
  const { issuer, published, audience, kid, token, sync } = context;
  if (error instanceof errors.JWKSNoMatchingKey) {
    return {
      detail: `is signed with kid ${kid}, which ${published.uri} does not publish, so STS rejects it`,
      fix:
        `The cluster signs with a key that is not published (a rotation not yet synced?). Publish its keys ` +
        `with ${sync}.`,
    };
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return {
      detail: `names kid ${kid}, but the key published under that kid does not verify its signature`,
      fix: `The published key material for ${kid} is not the cluster's. Republish with ${sync}.`,
    };
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iss') {
    const iss = claim(token, 'iss');
    return {
      detail: `carries "iss" ${iss}, not ${issuer.url}, so STS looks for another provider`,
      fix:
        `Make the cluster sign for the public issuer; kube-apiserver flags: ` + apiServerFlags(issuer, iss).join(' '),
    };
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
    return {
      detail: `carries "aud" ${claim(token, 'aud')}, not ${audience}, although TokenRequest asked for it`,
      fix:
        'Check what sits between here and the API server; a real kube-apiserver puts the requested audience ' +
        'in the token.',
    };
  }
  if (
    error instanceof errors.JWTExpired ||
    (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf')
  ) {
    return {
      detail: `is not valid now (${error.message}) although it was just minted`,
      fix:
        'The clocks of this machine and the API server disagree by minutes; fix time synchronisation (NTP) on ' +
        'both. STS checks the same times.',
    };
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return {
      detail: `is signed with an algorithm other than ${signingAlgorithms.join(', ')} (${error.message})`,
      fix: `Sign with a key STS accepts: ${supportedKeyTypes} (kube-apiserver's --service-account-signing-key-file).`,
    };
  }
  if (
    error instanceof errors.JWKSInvalid ||
    error instanceof errors.JWKInvalid ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return {
      detail: `cannot be checked: ${published.uri} is not a usable key set (${error.message})`,
      fix: `Republish it with ${sync}.`,
    };
  }
  return {
    detail: `does not verify: ${describeCause(error)}`,
    fix: `Republish the keys with ${sync}, and check the cluster's issuer flags.`,
  };
}

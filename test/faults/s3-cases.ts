/**
 * S3 failing on each of the four calls a first publish makes (read the JWKS, read the discovery
 * document, write the JWKS, write the discovery document) with the answers S3 really gives: 500
 * InternalError, 503 SlowDown, 412 PreconditionFailed, 409 ConditionalRequestConflict. Whatever
 * fails, a discovery document is never published before the JWKS it names, and the next run
 * converges.
 */
import { s3Error, type CannedResponse } from '../stand/fault-responses.js';
import type { FaultRule } from '../stand/faults.js';
import type { Document, FaultCase } from './case.js';

const key = { jwks: 'openid/v1/jwks', discovery: '.well-known/openid-configuration' } as const;
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const where = (document: Document) => literal(`s3://acme-oidc/clusters/prod/${key[document]}`);

const calls = {
  read: (document: Document): Omit<FaultRule, 'name' | 'action'> => ({
    method: 'GET',
    path: new RegExp(`/${literal(key[document])}$`),
  }),
  write: (document: Document): Omit<FaultRule, 'name' | 'action'> => ({
    method: 'PUT',
    path: new RegExp(`/${literal(key[document])}$`),
  }),
};

const faults: readonly (readonly [string, CannedResponse])[] = [
  ['500 InternalError', s3Error(500, 'InternalError')],
  ['503 SlowDown', s3Error(503, 'SlowDown')],
  ['412 PreconditionFailed', s3Error(412, 'PreconditionFailed')],
  ['409 ConditionalRequestConflict', s3Error(409, 'ConditionalRequestConflict')],
];
const codeOf = (fault: string) => fault.split(' ')[1] ?? fault;
const conflict = (fault: string) => fault.startsWith('412') || fault.startsWith('409');

/** Every call, every fault, on every attempt: the run fails, and only what was written before it stays. */
const persistent: readonly FaultCase[] = (['jwks', 'discovery'] as const).flatMap((document) => [
  ...faults.map(([fault, response]): FaultCase => ({
    name: `S3 answers every read of the ${document} with ${fault}`,
    aws: [{ ...calls.read(document), action: { kind: 'respond', response } }],
    exit: 1,
    failedStage: 'publish',
    stderr: new RegExp(`Reading ${where(document)} failed: ${codeOf(fault)}`),
    landed: [],
  })),
  ...faults.map(([fault, response]): FaultCase => ({
    name: `S3 answers every write of the ${document} with ${fault}`,
    aws: [{ ...calls.write(document), action: { kind: 'respond', response } }],
    exit: 1,
    failedStage: 'publish',
    // A lost conditional write is re-read and retried once, then refused as a second writer.
    stderr: conflict(fault)
      ? new RegExp(`Writing ${literal(key[document])} to ${literal('s3://acme-oidc/clusters/prod')} conflicted twice`)
      : new RegExp(`Writing ${where(document)} failed: ${codeOf(fault)}`),
    // The JWKS goes first; a discovery document that fails leaves the JWKS alone behind it.
    landed: document === 'jwks' ? [] : ['jwks'],
  })),
]);

/** One failure, then the SDK's retry or the publisher's re-read gets through. */
const transient: readonly FaultCase[] = [
  {
    name: 'S3 answers the first read of the JWKS with 503 SlowDown; the retry reads it',
    aws: [{ ...calls.read('jwks'), nth: 1, action: { kind: 'respond', response: s3Error(503, 'SlowDown') } }],
    exit: 0,
    steps: { publish: 'changed', register: 'changed' },
    landed: ['jwks', 'discovery'],
  },
  {
    name: 'S3 answers the first read of the discovery document with 500 InternalError; the retry reads it',
    aws: [{ ...calls.read('discovery'), nth: 1, action: { kind: 'respond', response: s3Error(500, 'InternalError') } }],
    exit: 0,
    steps: { publish: 'changed', register: 'changed' },
    landed: ['jwks', 'discovery'],
  },
  {
    name: 'S3 answers the first write of the JWKS with 412 PreconditionFailed; the publisher re-reads and writes once more',
    aws: [
      { ...calls.write('jwks'), nth: 1, action: { kind: 'respond', response: s3Error(412, 'PreconditionFailed') } },
    ],
    exit: 0,
    steps: { publish: 'changed', register: 'changed' },
    stderr: /object changed since it was read; re-reading and retrying once/,
    landed: ['jwks', 'discovery'],
  },
  {
    name: 'S3 answers the first write of the discovery document with 503 SlowDown; the retry writes it',
    aws: [{ ...calls.write('discovery'), nth: 1, action: { kind: 'respond', response: s3Error(503, 'SlowDown') } }],
    exit: 0,
    steps: { publish: 'changed', register: 'changed' },
    landed: ['jwks', 'discovery'],
  },
  {
    name: 'the connection drops after S3 wrote the JWKS; the retry finds it written',
    aws: [{ ...calls.write('jwks'), nth: 1, action: { kind: 'close' } }],
    exit: 0,
    steps: { publish: 'changed', register: 'changed' },
    landed: ['jwks', 'discovery'],
  },
];

/** S3 that accepts a request and then goes silent, or answers a byte a second: the stage deadline ends it. */
const silent: readonly FaultCase[] = [
  {
    name: 'S3 accepts the read of the JWKS and never answers',
    aws: [{ ...calls.read('jwks'), action: { kind: 'blackhole' } }],
    args: ['--timeout', '3'],
    deadlineMs: 30_000,
    exit: 1,
    failedStage: 'publish',
    stderr: /publish stage did not finish within 3 s|before the stage's deadline/,
    landed: [],
  },
  {
    name: 'S3 drips the discovery document one byte a second',
    aws: [{ ...calls.read('discovery'), action: { kind: 'drip' } }],
    args: ['--timeout', '3'],
    deadlineMs: 30_000,
    exit: 1,
    failedStage: 'publish',
    stderr: /publish stage did not finish within 3 s|before the stage's deadline/,
    landed: [],
  },
  {
    name: 'S3 accepts the write of the discovery document and never answers: the JWKS written before it is reported',
    aws: [{ ...calls.write('discovery'), action: { kind: 'blackhole' } }],
    args: ['--timeout', '3'],
    deadlineMs: 30_000,
    exit: 1,
    failedStage: 'publish',
    stderr: /publish stage did not finish within 3 s|before the stage's deadline/,
    landed: ['jwks'],
  },
];

export const s3Cases: readonly FaultCase[] = [...persistent, ...transient, ...silent];

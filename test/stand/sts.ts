/**
 * An STS stand-in that really checks web-identity tokens. moto's STS hands out credentials for any
 * string; this one serves `AssumeRoleWithWebIdentity` over STS's query API (form-encoded POST,
 * Version 2011-06-15) on loopback and refuses what STS refuses: it reads the IAM OIDC provider for
 * the token's `iss` from moto, fetches the issuer's discovery document and JWKS over HTTPS, checks
 * kid, alg, signature, audience and validity window, then evaluates the role's trust policy. Its
 * answers are shaped like STS's, so the AWS SDK's STS client (pointed here with `endpoint` or
 * AWS_ENDPOINT_URL_STS) parses them; each refusal's code and text are cited in sts-errors.ts.
 */
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refusals, StsRefusal, type StsError } from './sts-errors.js';
import { fetchIssuerKeys, findProvider, iamFor } from './sts-idp.js';
import { checkSignature, checkValidity, readToken, verificationKey } from './sts-token.js';
import { trustAllows, UnsupportedPolicyError } from './sts-trust.js';

export interface StsStandOptions {
  /** moto's endpoint: the stand reads providers and roles from its IAM. */
  readonly iamEndpoint: string;
  /** PEM CA(s) the issuer's hosts chain to; the provider's thumbprints decide whether STS trusts them. */
  readonly ca?: string | readonly string[];
  /** Skip the thumbprint check, as STS does for a CA in AWS's trusted library (S3, CloudFront). */
  readonly publiclyTrustedCa?: boolean;
  /** Per document fetch; 5 s as STS. */
  readonly fetchTimeoutMs?: number;
}

/** What the stand answered, for tests; never the token. */
export interface StsAnswer {
  readonly status: number;
  /** The error code, absent on success. */
  readonly code?: string;
  readonly message?: string;
  readonly roleArn?: string;
}

export interface StsStand {
  /** `http://127.0.0.1:PORT`: the STS client's `endpoint` or AWS_ENDPOINT_URL_STS. */
  readonly endpoint: string;
  readonly answers: readonly StsAnswer[];
  /** Moves STS's clock by this many seconds from now on (a cluster whose clock is behind). */
  setClockOffset(seconds: number): void;
  /** Forgets answers and clock offset. */
  reset(): void;
  stop(): Promise<void>;
}

const xmlNamespace = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** IAM's clock-skew window (see checkValidity). */
const clockToleranceSeconds = 300;
const defaultDurationSeconds = 3600;
/** roleSessionNameType in STS's service model. */
const sessionNamePattern = /^[\w+=,.@-]*$/;
/** A role ARN: partition, empty region, account, optional path, name. */
const roleArnPattern = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);

function errorXml(error: StsError, requestId: string): string {
  return `<ErrorResponse xmlns="${xmlNamespace}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${escapeXml(error.code)}</Code>\n    <Message>${escapeXml(error.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
}

interface Assumed {
  readonly subject: string;
  readonly audience: string;
  readonly providerArn: string;
  readonly roleArn: string;
  readonly roleId: string;
  readonly sessionName: string;
  readonly expiration: Date;
}

/** Temporary credentials in STS's formats: an ASIA key id, a 40-character secret, an opaque token. */
function successXml(assumed: Assumed, requestId: string): string {
  const [, partition = 'aws', account = '', roleName = ''] = roleArnPattern.exec(assumed.roleArn) ?? [];
  const base32 = (length: number) =>
    [...randomBytes(length)].map((byte) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.charAt(byte % 32)).join('');
  const element = (name: string, value: string) => `<${name}>${escapeXml(value)}</${name}>`;
  return [
    `<AssumeRoleWithWebIdentityResponse xmlns="${xmlNamespace}">`,
    '  <AssumeRoleWithWebIdentityResult>',
    `    ${element('SubjectFromWebIdentityToken', assumed.subject)}`,
    `    ${element('Audience', assumed.audience)}`,
    '    <AssumedRoleUser>',
    `      ${element('Arn', `arn:${partition}:sts::${account}:assumed-role/${roleName}/${assumed.sessionName}`)}`,
    `      ${element('AssumedRoleId', `${assumed.roleId}:${assumed.sessionName}`)}`,
    '    </AssumedRoleUser>',
    '    <Credentials>',
    `      ${element('AccessKeyId', `ASIA${base32(16)}`)}`,
    `      ${element('SecretAccessKey', randomBytes(30).toString('base64'))}`,
    `      ${element('SessionToken', randomBytes(256).toString('base64'))}`,
    `      ${element('Expiration', assumed.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'))}`,
    '    </Credentials>',
    // Real answers carry the provider's ARN here (AWS's IRSA launch post, aws.amazon.com/blogs/opensource/
    // introducing-fine-grained-iam-roles-service-accounts/), although the model's text says "the iss field".
    `    ${element('Provider', assumed.providerArn)}`,
    '  </AssumeRoleWithWebIdentityResult>',
    `  <ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`,
    '</AssumeRoleWithWebIdentityResponse>',
    '',
  ].join('\n');
}

interface Parameters {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly token: string;
  readonly durationSeconds: number;
}

/** Member constraints from STS's model, reported all at once as AWS does. */
function validate(form: URLSearchParams): Parameters {
  const problems: string[] = [];
  const value = (name: string, member: string, min: number, max: number, sensitive = false): string => {
    const raw = form.get(name);
    if (raw === null) {
      problems.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
      return '';
    }
    const shown = sensitive ? 'Value' : `Value '${raw}'`;
    if (raw.length < min)
      problems.push(
        `${shown} at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
      );
    if (raw.length > max)
      problems.push(
        `${shown} at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    return raw;
  };
  const roleArn = value('RoleArn', 'roleArn', 20, 2048);
  const sessionName = value('RoleSessionName', 'roleSessionName', 2, 64);
  if (!sessionNamePattern.test(sessionName)) {
    problems.push(
      `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
    );
  }
  const token = value('WebIdentityToken', 'webIdentityToken', 4, 20_000, true);
  const rawDuration = form.get('DurationSeconds');
  const durationSeconds = rawDuration === null ? defaultDurationSeconds : Number(rawDuration);
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900) {
    problems.push(
      `Value '${rawDuration ?? ''}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
    );
  } else if (durationSeconds > 43_200) {
    problems.push(
      `Value '${String(durationSeconds)}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`,
    );
  }
  if (problems.length > 0) {
    const count =
      problems.length === 1 ? '1 validation error detected' : `${String(problems.length)} validation errors detected`;
    throw new StsRefusal({ code: 'ValidationError', status: 400, message: `${count}: ${problems.join('; ')}` });
  }
  return { roleArn, sessionName, token, durationSeconds };
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  for (const [name, value] of new URL(request.url ?? '/', 'http://sts').searchParams)
    if (!form.has(name)) form.set(name, value);
  return form;
}

export async function startSts(options: StsStandOptions): Promise<StsStand> {
  const ca = options.ca === undefined ? [] : typeof options.ca === 'string' ? [options.ca] : [...options.ca];
  const state = { clockOffsetSeconds: 0, answers: [] as StsAnswer[] };
  const now = () => Math.floor(Date.now() / 1000) + state.clockOffsetSeconds;

  const assume = async (parameters: Parameters): Promise<Assumed> => {
    const arn = roleArnPattern.exec(parameters.roleArn);
    if (arn === null) throw refusals.invalidArn();
    const [, partition = 'aws', account = '', roleName = ''] = arn;
    const token = readToken(parameters.token);
    const iam = iamFor(options.iamEndpoint, account);
    try {
      const provider = await findProvider(iam, partition, account, token.issuer);
      const jwks = await fetchIssuerKeys(token.issuer, {
        ca,
        timeoutMs: options.fetchTimeoutMs ?? 5000,
        thumbprints: options.publiclyTrustedCa === true ? undefined : provider.thumbprints,
      });
      checkSignature(token, verificationKey(jwks, token));
      checkValidity(token, now(), clockToleranceSeconds);
      const audience = token.audiences.find((candidate) => provider.clientIds.includes(candidate));
      if (audience === undefined) throw refusals.wrongAudience();
      // STS does not say whether the role is missing or does not trust the token: both are AccessDenied.
      const role = await iam.send(new GetRoleCommand({ RoleName: roleName })).then(
        ({ Role }) => Role,
        (error: unknown) => {
          if ((error as { name?: string }).name === 'NoSuchEntityException') return undefined;
          throw error;
        },
      );
      if (role?.AssumeRolePolicyDocument === undefined || role.Arn !== parameters.roleArn)
        throw refusals.accessDenied();
      if (
        !trustAllows(role.AssumeRolePolicyDocument, {
          providerArn: provider.arn,
          providerName: provider.name,
          subject: token.subject,
          audience,
        })
      ) {
        throw refusals.accessDenied();
      }
      if (parameters.durationSeconds > (role.MaxSessionDuration ?? defaultDurationSeconds))
        throw refusals.durationTooLong();
      return {
        subject: token.subject,
        audience,
        providerArn: provider.arn,
        roleArn: parameters.roleArn,
        roleId: role.RoleId ?? 'AROA0000000000000000',
        sessionName: parameters.sessionName,
        expiration: new Date((now() + parameters.durationSeconds) * 1000),
      };
    } finally {
      iam.destroy();
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const requestId = randomUUID();
    const reply = (status: number, body: string, answer: StsAnswer) => {
      state.answers.push(answer);
      response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      response.end(body);
    };
    const form = await readForm(request);
    const roleArn = form.get('RoleArn') ?? undefined;
    try {
      const action = form.get('Action') ?? '';
      if (request.method !== 'POST' || action !== 'AssumeRoleWithWebIdentity' || form.get('Version') !== '2011-06-15') {
        throw refusals.unknownAction(action);
      }
      const assumed = await assume(validate(form));
      reply(200, successXml(assumed, requestId), { status: 200, ...(roleArn === undefined ? {} : { roleArn }) });
    } catch (error) {
      if (error instanceof StsRefusal) {
        const { code, status, message } = error.refusal;
        reply(status, errorXml(error.refusal, requestId), {
          status,
          code,
          message,
          ...(roleArn === undefined ? {} : { roleArn }),
        });
        return;
      }
      // The stand's own failure (moto down, a policy it cannot evaluate): loud, and not an STS code a test could mistake.
      const message =
        error instanceof UnsupportedPolicyError ? error.message : `the STS stand failed: ${String(error)}`;
      reply(500, errorXml({ code: 'StsStandFailure', status: 500, message }, requestId), {
        status: 500,
        code: 'StsStandFailure',
        message,
      });
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${String(port)}`,
    get answers() {
      return [...state.answers];
    },
    setClockOffset(seconds) {
      state.clockOffsetSeconds = seconds;
    },
    reset() {
      state.clockOffsetSeconds = 0;
      state.answers = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

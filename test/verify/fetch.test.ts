/** The GET STS makes, over real TLS on a generated chain: anonymous, no redirects, bounded. */
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchPublic, PublicFetchError, type PublicFetchOptions } from '../../src/verify/fetch.js';
import { createCertificateChain, type CertificateChain } from '../stand/certs.js';

let chain: CertificateChain;
let server: Server;
let base: string;
let handler: (path: string, response: ServerResponse) => void;
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];

const trusting = (overrides: Partial<PublicFetchOptions> = {}): PublicFetchOptions => ({
  timeoutMs: 2000,
  maxBytes: 1024,
  ca: chain.root.certPem,
  ...overrides,
});

async function failure(promise: Promise<unknown>): Promise<PublicFetchError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PublicFetchError) return error;
    throw error;
  }
  throw new Error('the fetch succeeded');
}

beforeAll(async () => {
  chain = await createCertificateChain(['localhost', '127.0.0.1']);
  server = createServer(
    { key: chain.leaf.keyPem, cert: chain.leaf.certPem + chain.intermediate.certPem },
    (request, response) => {
      const path = request.url ?? '/';
      seen.push({ path, headers: request.headers });
      handler(path, response);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  seen.length = 0;
  handler = (_path, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  };
});

describe('fetching a public document as STS does', () => {
  it('sends no credentials and returns status, type and body', async () => {
    const response = await fetchPublic(`${base}/doc`, trusting());
    expect(response).toMatchObject({ status: 200, contentType: 'application/json' });
    expect(response.body.toString()).toBe('{"ok":true}');
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(seen[0]?.headers.cookie).toBeUndefined();
  });

  it('does not follow a redirect: the 3xx and its Location come back', async () => {
    handler = (path, response) => {
      if (path === '/moved') {
        response.writeHead(302, { location: `${base}/target` });
        response.end();
        return;
      }
      response.end('{}');
    };
    const response = await fetchPublic(`${base}/moved`, trusting());
    expect(response.status).toBe(302);
    expect(response.location).toBe(`${base}/target`);
    expect(seen.map((request) => request.path)).toEqual(['/moved']);
  });

  it('stops reading past the size cap, declared or streamed', async () => {
    handler = (path, response) => {
      if (path === '/declared') response.writeHead(200, { 'content-length': '5000' });
      response.end('x'.repeat(5000));
    };
    expect((await failure(fetchPublic(`${base}/declared`, trusting()))).failure).toBe('too-large');
    handler = (_path, response) => {
      response.write('x'.repeat(800));
      response.end('x'.repeat(800));
    };
    expect((await failure(fetchPublic(`${base}/streamed`, trusting()))).failure).toBe('too-large');
  });

  it('gives up at the deadline on a host that never finishes answering', async () => {
    handler = (_path, response) => {
      response.writeHead(200);
      response.write('{');
    };
    const started = Date.now();
    const error = await failure(fetchPublic(`${base}/slow`, trusting({ timeoutMs: 300 })));
    expect(error.failure).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a certificate from a CA it was not given, and http:// outright', async () => {
    const untrusted = await failure(fetchPublic(`${base}/doc`, { timeoutMs: 2000, maxBytes: 1024 }));
    expect(untrusted.failure).toBe('tls');
    expect(untrusted.systemCode).toMatch(/UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED/);
    expect((await failure(fetchPublic('http://127.0.0.1/doc', trusting()))).failure).toBe('not-https');
  });
});

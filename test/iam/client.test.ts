/*
 * moto never throttles, so this file answers IAM's Query protocol itself: a loopback HTTP server that
 * says `Throttling` (as IAM does under burst) a set number of times, to show the SDK's retries are
 * what createIamClient configures and that the final failure reads clearly.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIssuer } from '../../src/issuer.js';
import { IamError } from '../../src/errors.js';
import { createIamClient, defaultIamMaxAttempts } from '../../src/iam/client.js';
import { readProvider } from '../../src/iam/provider.js';
import { dummyCredentials } from '../stand/iam.js';

const ns = 'https://iam.amazonaws.com/doc/2010-05-08/';
const throttled = `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>`;
const emptyList = `<ListOpenIDConnectProvidersResponse xmlns="${ns}"><ListOpenIDConnectProvidersResult><OpenIDConnectProviderList/></ListOpenIDConnectProvidersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListOpenIDConnectProvidersResponse>`;

const issuer = parseIssuer('https://oidc.example.com');

describe('the IAM client', () => {
  let server: Server | undefined;

  afterEach(async () => {
    const running = server;
    server = undefined;
    if (running)
      await new Promise<void>((resolve) => {
        running.close(() => {
          resolve();
        });
      });
  });

  /** Throttles the first `throttleFirst` requests, then lists no providers. */
  async function iamThatThrottles(throttleFirst: number): Promise<{ endpoint: string; requests: () => number }> {
    let requests = 0;
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        requests += 1;
        const busy = requests <= throttleFirst;
        response.writeHead(busy ? 400 : 200, { 'content-type': 'text/xml' });
        response.end(busy ? throttled : emptyList);
      });
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const { port } = listening.address() as AddressInfo;
    return { endpoint: `http://127.0.0.1:${port}`, requests: () => requests };
  }

  it('defaults to us-east-1, where IAM lives, and to a few more attempts than the SDK', async () => {
    const client = await createIamClient({ credentials: dummyCredentials });
    expect(await client.config.region()).toBe('us-east-1');
    expect(await client.config.maxAttempts()).toBe(defaultIamMaxAttempts);
    // No endpoint unless passed: the SDK's AWS_ENDPOINT_URL_IAM and shared config stay in charge.
    expect(client.config.isCustomEndpoint).toBe(false);
  });

  it("rides out throttling with the SDK's retries", async () => {
    const iam = await iamThatThrottles(2);
    const client = await createIamClient({ endpoint: iam.endpoint, credentials: dummyCredentials, maxAttempts: 3 });
    expect(await readProvider(issuer, client)).toBeUndefined();
    expect(iam.requests()).toBe(3);
  });

  it('fails clearly once the attempts are spent', async () => {
    const iam = await iamThatThrottles(Infinity);
    const client = await createIamClient({ endpoint: iam.endpoint, credentials: dummyCredentials, maxAttempts: 2 });
    const error = await readProvider(issuer, client).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(IamError);
    expect((error as IamError).message).toMatch(
      /^iam:ListOpenIDConnectProviders on the OIDC provider for https:\/\/oidc\.example\.com failed: Throttling: Rate exceeded\. IAM kept throttling the request after 2 attempts with backoff\./,
    );
    expect(iam.requests()).toBe(2);
  });
});

/** `verify --timeout` bounds each network step, the IAM reads (retries included) too. */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from './cli.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('verify against endpoints that accept connections and never answer', () => {
  it('finishes within its deadlines with exit 4, the provider check saying it could not read IAM', async () => {
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as AddressInfo;
    process.env.AWS_ENDPOINT_URL_IAM = `http://127.0.0.1:${port}`;
    process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'not-a-real-secret-key';
    try {
      const started = Date.now();
      const result = await cli(['verify', '--issuer', `https://127.0.0.1:${port}/clusters/prod`, '--timeout', '2']);
      expect(Date.now() - started).toBeLessThan(12_000);
      expect(result.code).toBe(4);
      expect(result.stdout).toMatch(/^✗ provider .*could not read the IAM OIDC providers/m);
    } finally {
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { readIssuerMetadata } from '../../src/cluster/api-server.js';
import { loadKubeConfig } from '../../src/cluster/kubeconfig.js';
import { mintServiceAccountToken } from '../../src/cluster/token-request.js';
import { ClusterReadError } from '../../src/errors.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';

describe('minting a service-account token with TokenRequest', () => {
  let stand: ApiServerStand;
  beforeAll(async () => {
    stand = await startApiServer();
  });
  afterAll(async () => {
    await stand.stop();
  });
  beforeEach(() => {
    stand.reset();
  });

  it('mints a token for STS that verifies against the JWKS the cluster serves', async () => {
    const connection = loadKubeConfig({ kubeconfig: stand.kubeconfigPath, context: 'reader' });
    const token = await mintServiceAccountToken(connection, { namespace: 'team-a', name: 'app' });
    const metadata = await readIssuerMetadata(connection);

    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet({ keys: metadata.keys } as JSONWebKeySet),
      {
        issuer: stand.issuer,
        audience: 'sts.amazonaws.com',
        subject: 'system:serviceaccount:team-a:app',
      },
    );
    expect(protectedHeader.kid).toBe(stand.keys[0]?.kid);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
  });

  it('carries the audience and lifetime asked for', async () => {
    const connection = loadKubeConfig({ kubeconfig: stand.kubeconfigPath, context: 'reader' });
    const token = await mintServiceAccountToken(connection, {
      namespace: 'team-a',
      name: 'app',
      audience: 'my-client-id',
      expirationSeconds: 3600,
    });
    const metadata = await readIssuerMetadata(connection);
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: metadata.keys } as JSONWebKeySet), {
      audience: 'my-client-id',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it("passes on the API server's refusal of a lifetime under ten minutes", async () => {
    const connection = loadKubeConfig({ kubeconfig: stand.kubeconfigPath, context: 'reader' });
    const minting = mintServiceAccountToken(connection, { namespace: 'team-a', name: 'app', expirationSeconds: 60 });
    await expect(minting).rejects.toThrow(ClusterReadError);
    await expect(minting).rejects.toThrow(/may not specify a duration less than 10 minutes/);
  });

  it('on 403 names the RBAC it needs: create on serviceaccounts/token', async () => {
    const connection = loadKubeConfig({ kubeconfig: stand.kubeconfigPath, context: 'unprivileged' });
    const minting = mintServiceAccountToken(connection, { namespace: 'team-a', name: 'app' });
    await expect(minting).rejects.toThrow(ClusterReadError);
    await expect(minting).rejects.toThrow(
      /--verb=create --resource=serviceaccounts\/token --resource-name=app .*--serviceaccount=default:nobody/,
    );
    await expect(minting).rejects.not.toThrow(stand.tokens.unprivileged?.token ?? 'unreachable');
  });
});

import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { kubernetesKeyId } from '../../src/documents/kid.js';
import { discoveryCacheControl, discoveryPath, jwksPath, startApiServer, type ApiServerStand } from './apiserver.js';

const kubectl = promisify(execFile);

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** A plain HTTPS call that trusts only the stand's root, as a kubeconfig's certificate-authority-data does. */
function call(stand: ApiServerStand, method: string, path: string, token?: string, body?: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${stand.url}${path}`,
      {
        method,
        ca: stand.caPem,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function tokenRequest(expirationSeconds: number, audiences = ['sts.amazonaws.com']): object {
  return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences, expirationSeconds } };
}

describe('the kube-apiserver stand-in', () => {
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

  it('is accepted by kubectl: get --raw returns the JWKS and the discovery document', async () => {
    const jwks = await kubectl('kubectl', ['--kubeconfig', stand.kubeconfigPath, 'get', '--raw', jwksPath]);
    const keys = (JSON.parse(jwks.stdout) as { keys: { kid: string }[] }).keys;
    expect(keys.map((key) => key.kid)).toEqual(stand.keys.map((key) => kubernetesKeyId(key.publicKey)));

    const discovery = await kubectl('kubectl', [
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'reader',
      'get',
      '--raw',
      discoveryPath,
    ]);
    expect(JSON.parse(discovery.stdout)).toEqual({
      issuer: 'https://kubernetes.default.svc.cluster.local',
      jwks_uri: `${stand.url}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256', 'RS256'],
    });
  });

  it('turns kubectl away with a token it does not know', async () => {
    const refused = kubectl('kubectl', [
      '--kubeconfig',
      stand.kubeconfigPath,
      '--context',
      'bad-token',
      'get',
      '--raw',
      jwksPath,
    ]);
    await expect(refused).rejects.toThrow(/Unauthorized/);
  });

  it('serves the discovery document as application/json, public for an hour, in kube member order', async () => {
    const answer = await call(stand, 'GET', discoveryPath, stand.tokens.reader?.token);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['cache-control']).toBe(discoveryCacheControl);
    expect(Object.keys(JSON.parse(answer.text) as object)).toEqual([
      'issuer',
      'jwks_uri',
      'response_types_supported',
      'subject_types_supported',
      'id_token_signing_alg_values_supported',
    ]);
  });

  it('serves the JWKS as application/jwk-set+json with kube member order for RSA and EC keys', async () => {
    const answer = await call(stand, 'GET', jwksPath, stand.tokens.reader?.token);
    expect(answer.headers['content-type']).toBe('application/jwk-set+json');
    expect(answer.headers['cache-control']).toBe(discoveryCacheControl);
    const [rsa, ec] = (JSON.parse(answer.text) as { keys: object[] }).keys;
    expect(Object.keys(rsa ?? {})).toEqual(['use', 'kty', 'kid', 'alg', 'n', 'e']);
    expect(Object.keys(ec ?? {})).toEqual(['use', 'kty', 'kid', 'crv', 'alg', 'x', 'y']);
    expect(ec).toMatchObject({ use: 'sig', kty: 'EC', crv: 'P-256', alg: 'ES256' });
  });

  it('answers a missing or unknown token with 401 and a Status body', async () => {
    for (const token of [undefined, stand.unknownToken]) {
      const answer = await call(stand, 'GET', jwksPath, token);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
  });

  it('answers a user without the discovery role with 403 naming user and path, as RBAC does', async () => {
    const answer = await call(stand, 'GET', jwksPath, stand.tokens.unprivileged?.token);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: 'forbidden: User "system:serviceaccount:default:nobody" cannot get path "/openid/v1/jwks"',
    });
  });

  it('answers unknown paths, including sub-paths of the discovery endpoints, with 404', async () => {
    for (const path of ['/openid/v1/jwks/extra', '/.well-known/other', '/nothing-here']) {
      expect((await call(stand, 'GET', path, stand.tokens.admin?.token)).status).toBe(404);
    }
  });

  it('mints a TokenRequest: 201, the spec echoed, a JWT signed by the first key with kube claims', async () => {
    const answer = await call(
      stand,
      'POST',
      '/api/v1/namespaces/team-a/serviceaccounts/app/token',
      stand.tokens.admin?.token,
      tokenRequest(600),
    );
    expect(answer.status).toBe(201);
    const object = JSON.parse(answer.text) as { spec: object; status: { token: string; expirationTimestamp: string } };
    expect(object).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      spec: { audiences: ['sts.amazonaws.com'], expirationSeconds: 600 },
    });
    expect(decodeProtectedHeader(object.status.token)).toEqual({ alg: 'RS256', kid: stand.keys[0]?.kid });
    const claims = decodeJwt(object.status.token);
    expect(claims).toMatchObject({
      iss: stand.issuer,
      sub: 'system:serviceaccount:team-a:app',
      aud: ['sts.amazonaws.com'],
      'kubernetes.io': {
        namespace: 'team-a',
        serviceaccount: { name: 'app', uid: stand.serviceAccountUid('team-a', 'app') },
      },
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
    expect(new Date(object.status.expirationTimestamp).getTime() / 1000).toBe(claims.exp);
  });

  it('refuses a TokenRequest shorter than ten minutes as kube validation does (422 Invalid)', async () => {
    const answer = await call(
      stand,
      'POST',
      '/api/v1/namespaces/team-a/serviceaccounts/app/token',
      stand.tokens.admin?.token,
      tokenRequest(599),
    );
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.text)).toMatchObject({
      reason: 'Invalid',
      message: expect.stringContaining('may not specify a duration less than 10 minutes') as unknown,
    });
  });

  it('refuses TokenRequest to a user without create on serviceaccounts/token', async () => {
    const answer = await call(
      stand,
      'POST',
      '/api/v1/namespaces/team-a/serviceaccounts/app/token',
      stand.tokens.unprivileged?.token,
      tokenRequest(600),
    );
    expect(answer.status).toBe(403);
    expect((JSON.parse(answer.text) as { message: string }).message).toBe(
      'serviceaccounts "app" is forbidden: User "system:serviceaccount:default:nobody" cannot create resource "serviceaccounts/token" in API group "" in the namespace "team-a"',
    );
  });

  it('serves a rotated-in key, an overridden answer, and logs every request', async () => {
    const added = await stand.addKey();
    stand.override(discoveryPath, { body: 'not json' });
    const jwks = JSON.parse((await call(stand, 'GET', jwksPath, stand.tokens.reader?.token)).text) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).toContain(added.kid);
    expect((await call(stand, 'GET', discoveryPath, stand.tokens.reader?.token)).text).toBe('not json');
    expect(stand.requests).toEqual([
      { method: 'GET', path: jwksPath, status: 200, user: 'system:serviceaccount:irsa-issuer:irsa-issuer' },
      { method: 'GET', path: discoveryPath, status: 200, user: 'system:serviceaccount:irsa-issuer:irsa-issuer' },
    ]);
  });
});

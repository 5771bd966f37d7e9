/**
 * A kube-apiserver stand-in: no real kube-apiserver binary can be had here, so this serves what
 * irsa-issuer talks to (the two issuer discovery endpoints and TokenRequest) over real TLS with
 * bearer-token authentication and RBAC-shaped answers, as kube-apiserver does. Headers and bodies
 * follow pkg/routes/openidmetadata.go and pkg/serviceaccount/openidmetadata.go; `kubectl get --raw`
 * against it is the proof that a real client accepts it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createCertificateChain, type CertificateChain } from './certs.js';
import { discoveryJson, generateSigningKey, keysetJson, type SigningKey } from './apiserver-keys.js';
import { writeKubeconfig, type KubeconfigContext } from './apiserver-kubeconfig.js';
import { forbiddenPath, forbiddenResource, methodNotAllowed, notFound, unauthorized } from './apiserver-status.js';
import { answerTokenRequest } from './apiserver-token.js';

export const discoveryPath = '/.well-known/openid-configuration';
export const jwksPath = '/openid/v1/jwks';
const tokenPath = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/;

/** Both documents carry this (pkg/routes/openidmetadata.go), overriding kube's `private, no-cache`. */
export const discoveryCacheControl = 'public, max-age=3600';

/** A bearer token the stand accepts, and what RBAC grants its user. */
export interface StandToken {
  readonly token: string;
  readonly user: string;
  /** Bound to the ClusterRole system:service-account-issuer-discovery. */
  readonly discovery: boolean;
  /** May `create` `serviceaccounts/token` (TokenRequest). */
  readonly tokenRequest: boolean;
  /** cluster-admin: every path is allowed, so an unknown one answers 404 instead of 403. */
  readonly admin?: boolean;
}

/** A response that replaces what the stand would render for a path, to feed clients bad input. */
export interface RawResponse {
  /** An object is serialised with JSON.stringify; a string or Buffer is sent as is. */
  readonly body: string | Buffer | object;
  /** The path's usual content type when omitted. */
  readonly contentType?: string;
  readonly status?: number;
}

export interface StandRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Who the bearer token authenticated as; absent when it did not. */
  readonly user?: string;
}

export interface ApiServerStandOptions {
  /** --service-account-issuer; kubeadm's default when omitted. */
  readonly issuer?: string;
  /** --service-account-jwks-uri; `<stand url>/openid/v1/jwks` (kube's default from its own address) when omitted. */
  readonly jwksUri?: string;
  /** Signing keys, the first one signs; a fresh RSA-2048 and an EC P-256 key when omitted. */
  readonly keys?: readonly SigningKey[];
  /** Tokens by kubeconfig context name; `admin`, `reader` and `unprivileged` when omitted. */
  readonly tokens?: Readonly<Record<string, StandToken>>;
  /** --anonymous-auth=true: a request without a token is system:anonymous with these rights. Off (401) when omitted. */
  readonly anonymous?: { readonly discovery: boolean };
}

export interface ApiServerStand {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  /** The root CA a client must trust (the server presents leaf + intermediate). */
  readonly caPem: string;
  readonly caPath: string;
  readonly chain: CertificateChain;
  /** A kubeconfig with one context per token plus `bad-token`; current context `admin` (or the first). */
  readonly kubeconfigPath: string;
  readonly tokens: Readonly<Record<string, StandToken>>;
  /** A well-formed token the stand does not know. */
  readonly unknownToken: string;
  readonly issuer: string;
  readonly jwksUri: string;
  /** The keys served now; the first signs tokens. */
  readonly keys: readonly SigningKey[];
  /** Every request answered since start (or the last reset), oldest first. */
  readonly requests: readonly StandRequest[];
  setIssuer(issuer: string): void;
  /** Adds a key to the served set (a rotation's first step) and returns it. */
  addKey(key?: SigningKey): Promise<SigningKey>;
  setKeys(keys: readonly SigningKey[]): void;
  /** Serve `response` for `path` (after authentication and authorisation) until reset. */
  override(path: typeof discoveryPath | typeof jwksPath, response: RawResponse): void;
  /** Back to the issuer, keys and answers the stand started with; the request log is emptied. */
  reset(): void;
  serviceAccountUid(namespace: string, name: string): string;
  /** Writes another kubeconfig (e.g. a context with a different CA or server) and returns its path. */
  writeKubeconfig(contexts: readonly KubeconfigContext[], currentContext?: string): Promise<string>;
  stop(): Promise<void>;
}

export function defaultTokens(): Record<string, StandToken> {
  const token = (): string => randomBytes(24).toString('base64url');
  return {
    admin: { token: token(), user: 'kubernetes-admin', discovery: true, tokenRequest: true, admin: true },
    reader: {
      token: token(),
      user: 'system:serviceaccount:irsa-issuer:irsa-issuer',
      discovery: true,
      tokenRequest: true,
    },
    unprivileged: {
      token: token(),
      user: 'system:serviceaccount:default:nobody',
      discovery: false,
      tokenRequest: false,
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

export async function startApiServer(options: ApiServerStandOptions = {}): Promise<ApiServerStand> {
  const chain = await createCertificateChain(['localhost', '127.0.0.1']);
  const initialKeys = options.keys ?? [await generateSigningKey('rsa'), await generateSigningKey('ec')];
  const tokens = options.tokens ?? defaultTokens();
  const initialIssuer = options.issuer ?? 'https://kubernetes.default.svc.cluster.local';
  const unknownToken = randomBytes(24).toString('base64url');
  const uids = new Map<string, string>();
  const state = {
    issuer: initialIssuer,
    keys: [...initialKeys],
    overrides: new Map<string, RawResponse>(),
    requests: [] as StandRequest[],
    jwksUri: options.jwksUri ?? '',
  };
  const serviceAccountUid = (namespace: string, name: string): string => {
    const key = `${namespace}/${name}`;
    const uid = uids.get(key) ?? randomUUID();
    uids.set(key, uid);
    return uid;
  };

  const authenticate = (authorization: string | undefined): StandToken | 'unauthenticated' => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (bearer === undefined && options.anonymous) {
      return { token: '', user: 'system:anonymous', discovery: options.anonymous.discovery, tokenRequest: false };
    }
    return Object.values(tokens).find((known) => known.token === bearer) ?? 'unauthenticated';
  };

  const answer = async (request: IncomingMessage, response: ServerResponse, user: StandToken, path: string) => {
    const method = request.method ?? 'GET';
    const send = (status: number, contentType: string, body: string | Buffer | object, cacheControl?: string) => {
      response.statusCode = status;
      response.setHeader('Content-Type', contentType);
      if (cacheControl) response.setHeader('Cache-Control', cacheControl);
      response.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    const status = (body: { code: number }) => {
      send(body.code, 'application/json', body);
    };

    if (path === discoveryPath || path === jwksPath) {
      if (method !== 'GET') {
        status(methodNotAllowed);
        return;
      }
      if (!user.discovery && !user.admin) {
        status(forbiddenPath(user.user, method, path));
        return;
      }
      const contentType = path === jwksPath ? 'application/jwk-set+json' : 'application/json';
      const override = state.overrides.get(path);
      if (override) {
        send(override.status ?? 200, override.contentType ?? contentType, override.body, discoveryCacheControl);
        return;
      }
      const body = path === jwksPath ? keysetJson(state.keys) : discoveryJson(state.issuer, state.jwksUri, state.keys);
      send(200, contentType, body, discoveryCacheControl);
      return;
    }
    const tokenRequest = tokenPath.exec(path);
    if (tokenRequest) {
      const [, namespace = '', name = ''] = tokenRequest.map(decodeURIComponent);
      if (method !== 'POST') {
        status(methodNotAllowed);
        return;
      }
      if (!user.tokenRequest && !user.admin) {
        status(forbiddenResource(user.user, 'create', 'serviceaccounts', 'token', namespace, name));
        return;
      }
      const signingKey = state.keys[0];
      if (!signingKey) throw new Error('the stand has no signing key');
      const result = await answerTokenRequest(namespace, name, await readBody(request), {
        issuer: state.issuer,
        signingKey,
        defaultAudiences: [state.issuer],
        serviceAccountUid,
      });
      send(result.status, 'application/json', result.body);
      return;
    }
    status(user.admin ? notFound : forbiddenPath(user.user, method, path));
  };

  const server = createServer(
    { key: chain.leaf.keyPem, cert: chain.leaf.certPem + chain.intermediate.certPem },
    (request, response) => {
      const path = new URL(request.url ?? '/', 'https://stand').pathname;
      const user = authenticate(request.headers.authorization);
      response.on('finish', () => {
        state.requests.push({
          method: request.method ?? 'GET',
          path,
          status: response.statusCode,
          ...(user === 'unauthenticated' ? {} : { user: user.user }),
        });
      });
      if (user === 'unauthenticated') {
        response.statusCode = 401;
        response.setHeader('Content-Type', 'application/json');
        response.end(JSON.stringify(unauthorized));
        return;
      }
      answer(request, response, user, path).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    },
  );
  const port = await listen(server);
  const url = `https://127.0.0.1:${String(port)}`;
  state.jwksUri = options.jwksUri ?? `${url}${jwksPath}`;
  const caPath = chain.root.certPath;
  let kubeconfigCount = 0;
  const writeExtraKubeconfig = async (contexts: readonly KubeconfigContext[], currentContext?: string) => {
    kubeconfigCount += 1;
    return writeKubeconfig(join(chain.directory, `kubeconfig-${String(kubeconfigCount)}`), contexts, currentContext);
  };
  const contexts: KubeconfigContext[] = [
    ...Object.entries(tokens).map(([name, token]) => ({
      name,
      server: url,
      caPem: chain.root.certPem,
      token: token.token,
    })),
    { name: 'bad-token', server: url, caPem: chain.root.certPem, token: unknownToken },
  ];
  const kubeconfigPath = await writeKubeconfig(
    join(chain.directory, 'kubeconfig'),
    contexts,
    'admin' in tokens ? 'admin' : contexts[0]?.name,
  );

  return {
    url,
    caPem: chain.root.certPem,
    caPath,
    chain,
    kubeconfigPath,
    tokens,
    unknownToken,
    get issuer() {
      return state.issuer;
    },
    get jwksUri() {
      return state.jwksUri;
    },
    get keys() {
      return [...state.keys];
    },
    get requests() {
      return [...state.requests];
    },
    setIssuer(issuer) {
      state.issuer = issuer;
    },
    async addKey(key) {
      const added = key ?? (await generateSigningKey('rsa'));
      state.keys.push(added);
      return added;
    },
    setKeys(keys) {
      state.keys = [...keys];
    },
    override(path, response) {
      state.overrides.set(path, response);
    },
    reset() {
      state.issuer = initialIssuer;
      state.keys = [...initialKeys];
      state.overrides.clear();
      state.requests = [];
    },
    serviceAccountUid,
    writeKubeconfig: writeExtraKubeconfig,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/**
 * `npm run demo`: irsa-issuer's main job, end to end, with no cluster and no AWS account. A
 * kube-apiserver stand-in (real TLS, token auth, real signing keys) plays the cluster, a local
 * HTTPS host plays the public web host, and the built bundle runs exactly as a user would run it.
 * With moto_server on the PATH the S3 and IAM steps run too, against moto, and STS's answer comes from
 * the STS stand-in, which checks the token against what sync published as STS would.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startApiServer } from '../test/stand/apiserver.js';
import { createCertificateChain } from '../test/stand/certs.js';
import { CreateRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { motoIamClient } from '../test/stand/iam.js';
import { startMoto } from '../test/stand/moto.js';
import { allowPublicRead, createBucket, motoS3Client } from '../test/stand/s3.js';
import { startSts } from '../test/stand/sts.js';
import { startTlsHost } from '../test/stand/tls-host.js';

const bundle = resolve(import.meta.dirname, '..', 'dist', 'irsa-issuer.mjs');
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

function hasMoto(): boolean {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Run {
  readonly code: number;
  readonly output: string;
}

async function irsaIssuer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  console.log(bold(`\n$ irsa-issuer ${args.join(' ')}`));
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bundle, ...args], {
      env: { ...process.env, ...env },
    });
    process.stdout.write(stdout + stderr);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    process.stdout.write(failed.stdout + failed.stderr);
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

/** The demo shows what STS answers; if it ever shows something else, it says so and fails. */
function expectShown(run: Run, code: number, lines: readonly RegExp[]): void {
  const missing = lines.filter((line) => !line.test(run.output));
  if (run.code !== code || missing.length > 0) {
    throw new Error(
      `the demo expected exit ${String(code)} and ${missing.map(String).join(', ') || 'its lines'}; got exit ${String(run.code)}`,
    );
  }
}

async function show(url: string, ca: string): Promise<void> {
  console.log(bold(`\n$ curl --cacert root.crt ${url}`));
  const { request } = await import('node:https');
  const body = await new Promise<string>((resolveBody, reject) => {
    request(url, { ca }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        resolveBody(`HTTP ${response.statusCode ?? 0} ${response.headers['content-type'] ?? ''}\n${text}`);
      });
    })
      .on('error', reject)
      .end();
  });
  console.log(body);
}

async function fileDemo(): Promise<void> {
  const chain = await createCertificateChain();
  const site = await mkdtemp(join(tmpdir(), 'irsa-issuer-demo-site-'));
  const host = await startTlsHost({
    directory: site,
    certificate: chain.leaf,
    presentedChain: [chain.intermediate.certPem],
  });
  const issuer = `${host.url}/demo`;
  const cluster = await startApiServer({ issuer });
  try {
    console.log(bold("irsa-issuer demo: publish a cluster's service-account issuer so AWS can trust its tokens"));
    console.log(
      `  cluster:     a kube-apiserver stand-in at ${cluster.url} (TLS, bearer tokens, ${cluster.keys.length} signing keys)`,
    );
    console.log(`  public host: ${host.url} serving ${site} (what nginx, GitHub Pages or a CDN would be)`);
    console.log(`  issuer:      ${issuer}`);
    const sync = [
      'sync',
      '--issuer',
      issuer,
      '--target',
      `file://${join(site, 'demo')}`,
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--context',
      'reader',
      '--no-register',
    ];
    await irsaIssuer(sync);
    console.log(bold('\nA second run finds nothing to do and writes nothing:'));
    await irsaIssuer(sync);
    await show(`${issuer}/.well-known/openid-configuration`, chain.root.certPem);
    await show(`${issuer}/openid/v1/jwks`, chain.root.certPem);
    console.log(bold('\nA wrong cluster is refused (exit 3) and nothing is written:'));
    cluster.setIssuer('https://kubernetes.default.svc.cluster.local');
    const { code } = await irsaIssuer(sync);
    console.log(`(exit ${code})`);
  } finally {
    await cluster.stop();
    await host.stop();
  }
}

async function awsDemo(): Promise<void> {
  const moto = await startMoto();
  const chain = await createCertificateChain();
  const bucket = 'demo-oidc';
  const front = await startTlsHost({
    origin: `${moto.endpoint}/${bucket}`,
    certificate: chain.leaf,
    presentedChain: [chain.intermediate.certPem],
  });
  const issuer = `${front.url}/clusters/demo`;
  const cluster = await startApiServer({ issuer });
  const sts = await startSts({ iamEndpoint: moto.endpoint, ca: chain.root.certPem });
  const env = {
    AWS_ACCESS_KEY_ID: 'demo',
    AWS_SECRET_ACCESS_KEY: 'demo',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_IAM: moto.endpoint,
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    NODE_EXTRA_CA_CERTS: chain.root.certPath,
  };
  try {
    const s3 = motoS3Client(moto);
    await createBucket(s3, bucket);
    await allowPublicRead(s3, bucket, 'clusters/demo');
    s3.destroy();
    console.log(
      bold(
        '\nNow with S3 and IAM (moto_server stands in for AWS) and STS (a stand-in that checks tokens as STS does):',
      ),
    );
    console.log(`  bucket s3://${bucket} (public-read on clusters/demo), served at ${front.url} as CloudFront would`);
    console.log(
      `  STS at ${sts.endpoint}: reads the provider from moto, fetches the documents from ${front.url}, verifies the token, evaluates the trust policy`,
    );
    const sync = [
      'sync',
      '--issuer',
      issuer,
      '--target',
      `s3://${bucket}/clusters/demo`,
      '--s3-endpoint',
      moto.endpoint,
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--context',
      'reader',
      '--tag',
      'cluster=demo',
    ];
    await irsaIssuer([...sync, '--verify'], env);
    console.log(bold('\nAnd again: no write call to S3 or IAM.'));
    await irsaIssuer(sync, env);
    const iam = await motoIamClient(moto);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'team-a-app',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      }),
    );
    const verify = [
      'verify',
      '--issuer',
      issuer,
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--context',
      'reader',
      '--service-account',
      'team-a/app',
      '--role-arn',
      'arn:aws:iam::123456789012:role/team-a-app',
    ];
    console.log(
      bold(
        '\nThe question every user has after setup: will STS accept my tokens? (a real token, minted by TokenRequest)',
      ),
    );
    console.log('The role team-a-app exists, but its trust policy lets nobody in yet:');
    expectShown(await irsaIssuer(verify, env), 4, [
      /^✗ sts .*AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity$/m,
      /^ {4}fix: Let the service account assume the role; its trust policy needs this statement: \{"Effect":"Allow","Principal":\{"Federated":"arn:aws:iam::123456789012:oidc-provider\//m,
    ]);
    const provider = issuer.slice('https://'.length);
    console.log(bold('\nDo what the fix says (aws iam update-assume-role-policy), and ask again:'));
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'team-a-app',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${provider}` },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: {
                  [`${provider}:sub`]: 'system:serviceaccount:team-a:app',
                  [`${provider}:aud`]: 'sts.amazonaws.com',
                },
              },
            },
          ],
        }),
      }),
    );
    iam.destroy();
    expectShown(await irsaIssuer(verify, env), 0, [
      /^✓ sts .*assumed arn:aws:sts::123456789012:assumed-role\/team-a-app\/irsa-issuer-verify$/m,
    ]);
  } finally {
    await sts.stop();
    await cluster.stop();
    await front.stop();
    await moto.stop();
  }
}

await fileDemo();
if (hasMoto()) {
  await awsDemo();
} else {
  console.log(
    bold(
      '\nS3 and IAM steps skipped: moto_server is not on the PATH. pip install "moto[server]" and run npm run demo again to see them against a local AWS stand-in.',
    ),
  );
}

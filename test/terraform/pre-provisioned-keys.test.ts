/**
 * terraform/examples/pre-provisioned-keys, applied against moto: the cluster's signing keys exist
 * before the cluster does, `irsa-issuer render` (the bundle) writes the documents from their public
 * halves, and Terraform uploads them with the rest. Then the cluster starts with those keys and the
 * issuer flag Terraform printed, and `irsa-issuer verify` passes. One apply for the whole file.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, type SigningKey } from '../stand/apiserver-keys.js';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { motoIamClient } from '../stand/iam.js';
import { startMoto, type MotoServer } from '../stand/moto.js';
import { anonymousGet, motoS3Client } from '../stand/s3.js';
import { accountContents } from './account.js';
import { startIssuerHost, type IssuerHost } from './issuer-host.js';
import { flagValues, irsaIssuer, motoEnv, thumbprintOf } from './irsa-issuer.js';
import { createWorkspace, terraformOrSkip, type Workspace } from './workspace.js';

const setup = await terraformOrSkip();
const bucket = 'acme-oidc';
const prefix = 'clusters/staging';
const documents = ['.well-known/openid-configuration', 'openid/v1/jwks'];

interface PreProvisionedOutputs {
  readonly issuer_url: string;
  readonly publisher_role_arn: string;
  readonly target: string;
  readonly apiserver_flags: string[];
}

describe.skipIf(setup === undefined)(
  'terraform/examples/pre-provisioned-keys against moto',
  { timeout: 240_000 },
  () => {
    let moto: MotoServer;
    let front: IssuerHost;
    let workspace: Workspace;
    let stand: ApiServerStand | undefined;
    let iam: IAMClient;
    let s3: S3Client;
    let issuer: string;
    let keys: SigningKey[];
    let publicKeyArgs: string[];
    let outputs: PreProvisionedOutputs;

    /** `irsa-issuer render` of the keys' public halves into DIR under the example, as its README says. */
    const render = (renderIssuer: string, dir: string) =>
      irsaIssuer(['render', '--issuer', renderIssuer, ...publicKeyArgs, '--out', join(workspace.dir, dir)]);
    const plan = (dir: string) =>
      workspace.terraform(['plan', '-input=false', '-no-color', `-var=documents_dir=${dir}`], [0, 1]);

    beforeAll(async () => {
      if (setup === undefined) return;
      moto = await startMoto();
      iam = await motoIamClient(moto);
      s3 = motoS3Client(moto);
      front = await startIssuerHost(`${moto.endpoint}/${bucket}`);
      issuer = `${front.url}/${prefix}`;
      workspace = await createWorkspace(setup, 'pre-provisioned-keys', moto);
      // The keys kubeadm (or the installer) will give the cluster, generated before it exists.
      keys = [await generateSigningKey('rsa'), await generateSigningKey('ec')];
      await mkdir(join(workspace.dir, 'keys'));
      publicKeyArgs = [];
      for (const [index, key] of keys.entries()) {
        const path = join(workspace.dir, 'keys', `sa-${index}.pub`);
        await writeFile(path, key.publicKey.export({ type: 'spki', format: 'pem' }));
        publicKeyArgs.push('--public-key-file', path);
      }
      await workspace.setVariables({
        bucket_name: bucket,
        prefix,
        issuer_url: issuer,
        thumbprint_list: [await thumbprintOf(front.url)],
      });
    }, 120_000);

    afterAll(async () => {
      await stand?.stop();
      await front.stop();
      await moto.stop();
      iam.destroy();
      s3.destroy();
      await workspace.remove();
      if (stand) await rm(stand.chain.directory, { recursive: true, force: true });
    });

    it('the example is valid', async () => {
      const { stdout } = await workspace.terraform(['validate', '-no-color']);
      expect(stdout).toMatch(/The configuration is valid/);
    });

    it('a plan refuses documents rendered for another issuer, and says how to render them again', async () => {
      expect((await render('https://someone-else.example.com/clusters/staging', 'documents-other')).code).toBe(0);
      const refused = await plan('documents-other');
      expect(refused.code).toBe(1);
      // Terraform wraps its messages; compare them as one line.
      const message = refused.stderr.replace(/\s+/g, ' ');
      expect(message).toContain(
        `names issuer "https://someone-else.example.com/clusters/staging", but this module's issuer is ${issuer}`,
      );
      expect(message).toContain(`Render it again: irsa-issuer render --issuer ${issuer}`);
    });

    it('a plan refuses a key set that holds private key material', async () => {
      expect((await render(issuer, 'documents-leaked')).code).toBe(0);
      const [key] = keys;
      if (key === undefined) throw new Error('no key');
      // Someone exported the private JWK instead of the public one.
      const leaked = {
        keys: [{ ...key.privateKey.export({ format: 'jwk' }), kid: key.kid, use: 'sig', alg: key.alg }],
      };
      await writeFile(join(workspace.dir, 'documents-leaked', 'openid/v1/jwks'), JSON.stringify(leaked));
      const refused = await plan('documents-leaked');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/holds private key material/);
      expect(await accountContents(iam, s3)).toEqual({ buckets: [], providers: [], roles: [], policies: [] });
    });

    it('apply uploads both documents, which anyone can GET as application/json, byte for byte as rendered', async () => {
      expect((await render(issuer, 'documents')).code).toBe(0);
      const { stdout } = await workspace.terraform(['apply', '-auto-approve', '-input=false', '-no-color']);
      expect(stdout).toMatch(/Apply complete! Resources: 10 added, 0 changed, 0 destroyed/);
      // The JWKS lands before the discovery document that names it.
      expect(stdout.indexOf('aws_s3_object.jwks[0]: Creation complete')).toBeLessThan(
        stdout.indexOf('aws_s3_object.discovery[0]: Creating'),
      );
      outputs = (await workspace.outputs()) as unknown as PreProvisionedOutputs;
      for (const document of documents) {
        const response = await anonymousGet(moto, bucket, `${prefix}/${document}`);
        expect(response.status).toBe(200);
        expect(response.contentType).toBe('application/json');
        expect(response.cacheControl).toBe('max-age=300');
        expect(Buffer.from(response.body)).toEqual(await readFile(join(workspace.dir, 'documents', document)));
      }
    });

    it('the cluster, started with those keys and the flags Terraform printed, passes verify', async () => {
      expect(outputs.apiserver_flags).toEqual([
        `--service-account-issuer=${issuer}`,
        `--service-account-jwks-uri=${issuer}/openid/v1/jwks`,
      ]);
      const [newIssuer] = flagValues(outputs.apiserver_flags, '--service-account-issuer');
      const [jwksUri] = flagValues(outputs.apiserver_flags, '--service-account-jwks-uri');
      if (newIssuer === undefined || jwksUri === undefined)
        throw new Error('apiserver_flags lacks the issuer or jwks-uri flag');
      stand = await startApiServer({ issuer: newIssuer, jwksUri, keys });
      const verify = await irsaIssuer(
        [
          'verify',
          '--issuer',
          outputs.issuer_url,
          '--kubeconfig',
          stand.kubeconfigPath,
          '--context',
          'reader',
          '--ca-file',
          front.chain.root.certPath,
          '--service-account',
          'irsa-issuer/irsa-issuer',
          '--role-arn',
          outputs.publisher_role_arn,
        ],
        motoEnv(moto),
      );
      expect(verify.stdout).toMatch(/Verified: all 12 checks run passed/);
      expect(verify.code).toBe(0);
    });

    it('the in-cluster job, taking over, finds the same bytes and writes nothing', async () => {
      if (stand === undefined) throw new Error('no cluster');
      const sync = await irsaIssuer(
        [
          'sync',
          '--issuer',
          outputs.issuer_url,
          '--target',
          outputs.target,
          '--s3-endpoint',
          moto.endpoint,
          '--no-register',
          '--kubeconfig',
          stand.kubeconfigPath,
          '--context',
          'reader',
        ],
        motoEnv(moto),
      );
      expect(sync.code).toBe(0);
      expect(sync.stdout).toMatch(/nothing written/);
    });

    it('a second plan shows no changes', async () => {
      const second = await workspace.terraform(['plan', '-detailed-exitcode', '-input=false', '-no-color'], [0, 2]);
      expect(second.stdout).toMatch(/No changes/);
      expect(second.code).toBe(0);
    });

    it('destroy, without force_destroy, leaves the account empty', async () => {
      const { stdout } = await workspace.terraform(['destroy', '-auto-approve', '-input=false', '-no-color']);
      expect(stdout).toMatch(/Destroy complete! Resources: 10 destroyed/);
      expect(await accountContents(iam, s3)).toEqual({ buckets: [], providers: [], roles: [], policies: [] });
    });
  },
);

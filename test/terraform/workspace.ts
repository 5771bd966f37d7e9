/**
 * The repository's terraform/ directory, copied into a temporary directory per test file so no
 * .terraform, lock file or state ever lands in the repository, and run with the real `terraform`
 * binary and the AWS provider from a local plugin directory, against moto_server.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { MotoServer } from '../stand/moto.js';
import { testRegion } from '../stand/s3.js';

export const moduleSource = join(import.meta.dirname, '..', '..', 'terraform');

export const terraformInstallHint =
  'The Terraform tests need the terraform binary (>= 1.9) on the PATH and the hashicorp/aws provider (>= 5.81) in a plugin directory ' +
  '(TF_PLUGIN_DIR, else /opt/tf-plugins, else ~/.terraform.d/plugins; holding registry.terraform.io/hashicorp/aws/...), since the tests never download: ' +
  'install terraform (https://developer.hashicorp.com/terraform/install), run `terraform providers mirror DIR` once in terraform/examples/complete ' +
  'with network access, and set TF_PLUGIN_DIR=DIR.';

/** The plugin directory to pass to `terraform init -plugin-dir`, or undefined when none holds the AWS provider. */
export function findPluginDir(): string | undefined {
  const candidates = [process.env.TF_PLUGIN_DIR, '/opt/tf-plugins', join(homedir(), '.terraform.d', 'plugins')];
  return candidates.find(
    (dir): dir is string =>
      dir !== undefined && dir !== '' && existsSync(join(dir, 'registry.terraform.io', 'hashicorp', 'aws')),
  );
}

export interface TerraformSetup {
  readonly pluginDir: string;
  readonly version: string;
}

/**
 * The setup to run Terraform with; when terraform or the provider is missing, undefined with a
 * visible message, or, in CI (CI=true), a failure: there the suite must never pass by skipping.
 */
export async function terraformOrSkip(): Promise<TerraformSetup | undefined> {
  const found = await findTerraform();
  if (!('missing' in found)) return found;
  if (process.env.CI === 'true') throw new Error(`CI=true and the Terraform tests cannot run: ${found.missing}`);
  console.warn(`Skipping the Terraform tests: ${found.missing}`);
  return undefined;
}

/** What is missing to run Terraform here, or the setup to run it with. */
export async function findTerraform(): Promise<TerraformSetup | { readonly missing: string }> {
  let version: string;
  try {
    const { stdout } = await promisify(execFile)('terraform', ['version', '-json'], { env: isolatedEnv(tmpdir()) });
    version = (JSON.parse(stdout) as { terraform_version: string }).terraform_version;
  } catch {
    return { missing: `terraform is not on the PATH. ${terraformInstallHint}` };
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 1 || (major === 1 && minor < 9))
    return { missing: `terraform ${version} is older than 1.9, which the module needs. ${terraformInstallHint}` };
  const pluginDir = findPluginDir();
  if (pluginDir === undefined) return { missing: `No plugin directory holds hashicorp/aws. ${terraformInstallHint}` };
  return { pluginDir, version };
}

/**
 * Terraform with nothing of the machine's own: no CLI configuration, no AWS profile or credentials
 * from the environment (the provider override names moto and fixed keys), no checkpoint calls.
 */
function isolatedEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    TF_CLI_CONFIG_FILE: join(home, 'terraformrc'),
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Every endpoint the module and its examples use, pointed at moto; the credentials are moto's any-key. */
function motoProviderOverride(moto: MotoServer): string {
  const endpoints = ['s3', 'iam', 'sts', 'cloudfront']
    .map((service) => `    ${service} = "${moto.endpoint}"`)
    .join('\n');
  return `provider "aws" {
  region                      = "${testRegion}"
  access_key                  = "AKIAIRSAISSUERTESTKEY"
  secret_key                  = "irsa-issuer-test-secret"
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
${endpoints}
  }
}
`;
}

export interface TerraformRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Workspace {
  /** The copy of terraform/ (the module); examples sit under examples/. */
  readonly root: string;
  /** The example directory Terraform runs in. */
  readonly dir: string;
  /** Runs terraform in the example directory; rejects, with its output, on an exit code outside `okCodes`. */
  terraform(args: readonly string[], okCodes?: readonly number[]): Promise<TerraformRun>;
  /** Writes terraform.tfvars.json, which plan, apply and destroy all read. */
  setVariables(variables: Readonly<Record<string, unknown>>): Promise<void>;
  /** `terraform output -json`, values only. */
  outputs(): Promise<Record<string, unknown>>;
  remove(): Promise<void>;
}

/**
 * A fresh copy of terraform/ in a temporary directory, the example's provider pointed at moto,
 * initialised. `files` are written into the example directory first (created if it is not one of
 * the repository's examples): a root module of the test's own that calls the module as "../..".
 */
export async function createWorkspace(
  setup: TerraformSetup,
  example: string,
  moto: MotoServer,
  files: Readonly<Record<string, string>> = {},
): Promise<Workspace> {
  const home = await mkdtemp(join(tmpdir(), 'irsa-terraform-'));
  const root = join(home, 'terraform');
  await cp(moduleSource, root, {
    recursive: true,
    // A developer's own runs in the repository must not leak in.
    filter: (source) =>
      ![
        '.terraform',
        '.terraform.lock.hcl',
        'terraform.tfstate',
        'terraform.tfstate.backup',
        'terraform.tfvars.json',
      ].includes(basename(source)),
  });
  await writeFile(join(home, 'terraformrc'), '');
  const dir = join(root, 'examples', example);
  const env = isolatedEnv(home);

  const terraform = async (args: readonly string[], okCodes: readonly number[] = [0]): Promise<TerraformRun> => {
    const run = await new Promise<TerraformRun>((resolve) => {
      execFile('terraform', [...args], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      });
    });
    if (!okCodes.includes(run.code)) {
      throw new Error(
        `terraform ${args.join(' ')} exited ${run.code} in ${dir}\n${run.stdout.slice(-6000)}\n${run.stderr.slice(-6000)}`,
      );
    }
    return run;
  };

  const workspace: Workspace = {
    root,
    dir,
    terraform,
    async setVariables(variables) {
      await writeFile(join(dir, 'terraform.tfvars.json'), `${JSON.stringify(variables, null, 2)}\n`);
    },
    async outputs() {
      const { stdout } = await terraform(['output', '-json', '-no-color']);
      const outputs = JSON.parse(stdout) as Record<string, { value: unknown }>;
      return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.value]));
    },
    remove: () => rm(home, { recursive: true, force: true }),
  };
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  await writeFile(join(dir, 'moto_override.tf'), motoProviderOverride(moto));
  await terraform(['init', '-backend=false', `-plugin-dir=${setup.pluginDir}`, '-input=false', '-no-color']);
  return workspace;
}

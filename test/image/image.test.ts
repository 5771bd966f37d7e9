/**
 * What the container image runs, without a Docker engine (none runs here or in CI): the Dockerfile's
 * own ENTRYPOINT, CMD, USER and WORKDIR, read from the file, applied to a directory laid out like the
 * image — the bundle alone at the path the Dockerfile copies it to, no node_modules, a Node 24 binary
 * at distroless' /nodejs/bin/node — and run as uid/gid 65532 with no supplementary groups and no new
 * privileges (setpriv, from util-linux), in a working directory and HOME it cannot write, as the pod
 * runs it with readOnlyRootFilesystem. Only its /tmp (the pod's emptyDir) is writable.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, chown, copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerStand } from '../stand/apiserver.js';
import { writeKubeconfig } from '../stand/apiserver-kubeconfig.js';

const repository = join(import.meta.dirname, '..', '..');
/** The bundle: the entry dist/irsa-issuer.mjs and the chunks it loads, dist/chunks/. */
const bundle = join(repository, 'dist');
/** The Node 24 that npm scripts run on: the devDependency `node`, the same major as distroless' nodejs24. */
const node24 = join(repository, 'node_modules', 'node', 'bin', 'node');
const issuer = 'https://oidc.example.com/clusters/prod';
const nonroot = 65532;
/** distroless' PATH: `node` is not on it. */
const imagePath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Instruction {
  readonly keyword: string;
  readonly value: string;
}

/** The final stage's instructions: line continuations joined, comments dropped. */
function finalStage(dockerfile: string): Instruction[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const instructions = lines.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), value: rest.join(' ') };
  });
  const from = instructions.map((instruction) => instruction.keyword).lastIndexOf('FROM');
  return instructions.slice(from);
}

function one(stage: readonly Instruction[], keyword: string): string {
  const found = stage.filter((instruction) => instruction.keyword === keyword);
  if (found.length !== 1)
    throw new Error(`the Dockerfile's final stage has ${String(found.length)} ${keyword} instructions, expected 1`);
  return (found[0] as Instruction).value;
}

/** ENTRYPOINT and CMD in exec form (a JSON array): the shell form needs /bin/sh, which distroless lacks. */
function execForm(stage: readonly Instruction[], keyword: string): string[] {
  const value = one(stage, keyword);
  const parsed = JSON.parse(value) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string'))
    throw new Error(`${keyword} ${value} is not in exec form`);
  return parsed;
}

interface Image {
  readonly base: string;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly user: string;
  readonly workdir: string;
  /** Where the bundle's entry lands in the image. */
  readonly bundlePath: string;
  /** Where dist/ lands in the image. */
  readonly bundleDirectory: string;
  readonly labels: string;
}

async function readImage(): Promise<Image> {
  const stage = finalStage(await readFile(join(repository, 'Dockerfile'), 'utf8'));
  const copies = stage.filter((instruction) => instruction.keyword === 'COPY');
  if (copies.length !== 1)
    throw new Error(`the final stage copies ${String(copies.length)} things; it should copy the bundle alone`);
  const [source, destination] = (copies[0] as Instruction).value.split(/\s+/).filter((word) => !word.startsWith('--'));
  if (!source?.endsWith('dist/') || destination === undefined || !destination.endsWith('/'))
    throw new Error(`the final stage copies ${String(source)} to ${String(destination)}, not dist/ to a directory`);
  return {
    base: one(stage, 'FROM'),
    entrypoint: execForm(stage, 'ENTRYPOINT'),
    cmd: execForm(stage, 'CMD'),
    user: one(stage, 'USER'),
    workdir: one(stage, 'WORKDIR'),
    bundlePath: `${destination}irsa-issuer.mjs`,
    bundleDirectory: destination,
    labels: stage
      .filter((instruction) => instruction.keyword === 'LABEL')
      .map((instruction) => instruction.value)
      .join(' '),
  };
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Why this machine cannot run the image's command as 65532, or undefined when it can. */
async function cannotSwitchUser(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the tests do not run as root, so setpriv cannot switch to uid 65532';
  try {
    await promisify(execFile)('setpriv', ['--version']);
    return undefined;
  } catch {
    return 'setpriv is not on the PATH (apt-get install util-linux)';
  }
}

let image: Image;
let stand: ApiServerStand | undefined;
let root = '';
let unavailable: string | undefined;

function running(): ApiServerStand {
  if (stand === undefined) throw new Error('the API server stand-in did not start');
  return stand;
}

/** A path inside the image, as laid out under `root`. */
const inImage = (path: string): string => join(root, path);

async function runAsImage(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const [program = '', ...entryArgs] = image.entrypoint;
  const [uid, gid = uid] = image.user.split(':');
  try {
    const { stdout, stderr } = await promisify(execFile)(
      'setpriv',
      [
        '--reuid',
        uid ?? '',
        '--regid',
        gid ?? '',
        '--clear-groups',
        '--no-new-privs',
        '--',
        inImage(program),
        ...entryArgs.map(inImage),
        ...args,
      ],
      {
        cwd: inImage(image.workdir),
        env: { PATH: imagePath, HOME: inImage('/home/nonroot'), TMPDIR: inImage('/tmp'), ...env },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.map((entry) => relative(root, join(entry.parentPath, entry.name))).sort();
}

beforeAll(async () => {
  image = await readImage();
  unavailable = await cannotSwitchUser();
  if (unavailable !== undefined) {
    if (process.env.CI === 'true')
      throw new Error(`CI must run the image's command as uid ${String(nonroot)}, but ${unavailable}.`);
    return;
  }
  const started = await startApiServer({ issuer });
  stand = started;
  root = await mkdtemp(join(tmpdir(), 'irsa-image-'));
  await chmod(root, 0o755);
  // Read-only for 65532, as the image's root filesystem is: owned by root, mode 755/644.
  await mkdir(dirname(inImage(image.entrypoint[0] ?? '')), { recursive: true, mode: 0o755 });
  await copyFile(node24, inImage(image.entrypoint[0] ?? ''));
  await chmod(inImage(image.entrypoint[0] ?? ''), 0o755);
  await cp(bundle, inImage(image.bundleDirectory), { recursive: true, mode: constants.COPYFILE_EXCL });
  for (const path of await readdir(inImage(image.bundleDirectory), { recursive: true })) {
    const inside = join(inImage(image.bundleDirectory), path);
    await chmod(inside, (await stat(inside)).isDirectory() ? 0o755 : 0o644);
  }
  await chmod(inImage(image.bundleDirectory), 0o755);
  await mkdir(inImage(image.workdir), { recursive: true, mode: 0o755 });
  await mkdir(inImage('/home/nonroot'), { recursive: true, mode: 0o755 });
  // The pod's emptyDir at /tmp, writable by the pod's user only.
  await mkdir(inImage('/tmp'), { mode: 0o700 });
  await chown(inImage('/tmp'), nonroot, nonroot);
  // A kubeconfig as a mounted Secret would be: readable by the pod's user alone. The pod itself
  // uses its in-cluster service account; the stand-in speaks the same API over TLS with a token.
  await mkdir(inImage('/etc/irsa-issuer'), { recursive: true, mode: 0o755 });
  await writeKubeconfig(inImage('/etc/irsa-issuer/kubeconfig'), [
    { name: 'in-cluster', server: started.url, caPem: started.caPem, token: started.tokens.reader?.token ?? '' },
  ]);
  await chown(inImage('/etc/irsa-issuer/kubeconfig'), nonroot, nonroot);
});

afterAll(async () => {
  await stand?.stop();
  if (root !== '') await rm(root, { recursive: true, force: true });
});

describe('the image (Dockerfile), run as it runs in the pod', () => {
  it('is distroless Node 24 as 65532, entering the bundle with node, sync by default, and labelled', () => {
    expect(image.base).toBe('gcr.io/distroless/nodejs24-debian12:nonroot');
    expect(image.entrypoint).toEqual(['/nodejs/bin/node', image.bundlePath]);
    expect(image.cmd).toEqual(['sync']);
    expect(image.user).toBe(`${String(nonroot)}:${String(nonroot)}`);
    for (const label of [
      'org.opencontainers.image.source',
      'org.opencontainers.image.version="${VERSION}"',
      'org.opencontainers.image.licenses="Apache-2.0"',
    ]) {
      expect(image.labels).toContain(label);
    }
  });

  it('syncs as 65532 with only /tmp writable, and writes nothing outside it', async (context) => {
    if (unavailable !== undefined) {
      context.skip(`cannot run as uid ${String(nonroot)}: ${unavailable}`);
      return;
    }
    const version = await runAsImage(['--version']);
    expect(version.code).toBe(0);
    // The premise: 65532 really cannot write its working directory or HOME.
    const probe = await promisify(execFile)('setpriv', [
      '--reuid',
      String(nonroot),
      '--regid',
      String(nonroot),
      '--clear-groups',
      inImage('/nodejs/bin/node'),
      '-p',
      `[${JSON.stringify(inImage(image.workdir))}, ${JSON.stringify(inImage('/home/nonroot'))}].map((d) => { try { require('fs').writeFileSync(d + '/probe', ''); return 'written'; } catch (e) { return e.code; } }).join()`,
    ]);
    expect(probe.stdout.trim()).toBe('EACCES,EACCES');

    const before = await listFiles(root);
    const target = inImage('/tmp/issuer');
    const run = await runAsImage([
      ...image.cmd,
      '--issuer',
      issuer,
      '--target',
      `file://${target}`,
      '--kubeconfig',
      inImage('/etc/irsa-issuer/kubeconfig'),
      '--no-register',
      '--log-level',
      'info',
    ]);
    expect(run.stderr).not.toMatch(/EACCES|EROFS/);
    expect(run.code).toBe(0);
    const discovery = JSON.parse(await readFile(join(target, '.well-known/openid-configuration'), 'utf8')) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(issuer);
    const jwks = JSON.parse(await readFile(join(target, 'openid/v1/jwks'), 'utf8')) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual(
      running()
        .keys.map((key) => key.kid)
        .sort(),
    );
    expect((await stat(join(target, 'openid/v1/jwks'))).uid).toBe(nonroot);
    const outsideTmp = (await listFiles(root)).filter((path) => !path.startsWith('tmp/'));
    expect(outsideTmp).toEqual(before.filter((path) => !path.startsWith('tmp/')));
  });

  it('runs its default command, sync, configured by IRSA_ISSUER_ variables alone', async (context) => {
    if (unavailable !== undefined) {
      context.skip(`cannot run as uid ${String(nonroot)}: ${unavailable}`);
      return;
    }
    const target = inImage('/tmp/from-environment');
    const run = await runAsImage(image.cmd, {
      IRSA_ISSUER_ISSUER: issuer,
      IRSA_ISSUER_TARGET: `file://${target}`,
      IRSA_ISSUER_KUBECONFIG: inImage('/etc/irsa-issuer/kubeconfig'),
      IRSA_ISSUER_NO_REGISTER: 'true',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Done: changes made/);
    await expect(stat(join(target, 'openid/v1/jwks'))).resolves.toBeDefined();
  });
});

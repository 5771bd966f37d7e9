// What a user installs, installed as a user installs it: `npm pack`, then `npm install --omit=dev` of
// the tarball into an empty project, once on Node 24 (the project's own) and once on Node 22.19 (the
// floor `engines` states, from the npm registry as .ci/run brings it), and the installed
// `irsa-issuer` run from there. Fails if the package brings anything besides itself or more than
// MAX_INSTALLED_BYTES. Needs a built bundle (`npm run release:check` builds it) and, besides the npm
// registry for Node 22, no network. Every temporary directory is removed, pass or fail.
//
//   node scripts/release-check.mjs                  pack this checkout and check it
//   node scripts/release-check.mjs --tarball FILE   check an existing tarball (e.g. an older release)
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const MAX_INSTALLED_BYTES = 6_000_000; // 6 MB; the bundle alone is about 2.7 MB
const NODE_22 = '22.19.0'; // the oldest Node the bundle accepts (scripts/build.mjs)
const root = resolve(import.meta.dirname, '..');
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const { values: options } = parseArgs({ options: { tarball: { type: 'string' } } });

const failures = [];
function check(condition, message) {
  if (!condition) failures.push(message);
  return condition;
}

function run(file, args, { cwd, path, input } = {}) {
  return execFileSync(file, args, {
    cwd,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PATH: path ?? process.env.PATH, npm_config_fund: 'false', npm_config_audit: 'false' },
  });
}

/** Every package directory under node_modules (scoped and nested ones too), and the bytes of every file. */
function inventory(nodeModules) {
  const packages = [];
  let bytes = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      bytes += lstatSync(path).size;
      if (entry.isDirectory()) walk(path);
    }
  };
  const collect = (dir, prefix = '') => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (prefix === '' && entry.name.startsWith('@')) {
        collect(path, `${entry.name}/`);
        continue;
      }
      packages.push(`${prefix}${entry.name}`);
      if (existsSync(join(path, 'node_modules'))) collect(join(path, 'node_modules'));
    }
  };
  walk(nodeModules);
  collect(nodeModules);
  return { packages: packages.sort(), bytes };
}

/** A directory whose only entry is `node`, to put first on PATH: npm and the bin's `#!/usr/bin/env node` both run it. */
function nodeOnPath(work, label, binary) {
  const dir = join(work, `bin-${label}`);
  mkdirSync(dir);
  symlinkSync(binary, join(dir, 'node'));
  return `${dir}${delimiter}${process.env.PATH ?? ''}`;
}

function checkInstall(work, label, path, tarball, keyFile) {
  const nodeVersion = run('node', ['--version'], { path }).trim();
  const project = join(work, `project-${label}`);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ private: true }));
  run('npm', ['install', '--omit=dev', '--no-package-lock', tarball], { cwd: project, path });

  const bin = join(project, 'node_modules', '.bin', 'irsa-issuer');
  const printed = run(bin, ['--version'], { cwd: project, path }).trim();
  check(printed === version, `${label}: --version printed "${printed}", package.json says ${version}`);
  const help = run(bin, ['--help'], { cwd: project, path });
  for (const command of ['sync', 'daemon', 'render', 'thumbprint', 'verify']) {
    check(new RegExp(`^\\s+${command}\\b`, 'm').test(help), `${label}: --help does not list the command ${command}`);
  }
  const issuer = 'https://oidc.example.com';
  const rendered = JSON.parse(
    run(bin, ['render', '--issuer', issuer, '--public-key-file', keyFile], { cwd: project, path }),
  );
  const expected = createPublicKey(readFileSync(keyFile)).export({ format: 'jwk' });
  const keys = rendered.jwks?.keys ?? [];
  check(
    rendered.discovery?.issuer === issuer,
    `${label}: render's discovery names issuer ${rendered.discovery?.issuer}`,
  );
  check(
    keys.length === 1 &&
      keys[0].kty === 'EC' &&
      keys[0].crv === 'P-256' &&
      keys[0].x === expected.x &&
      keys[0].y === expected.y,
    `${label}: render's JWKS is not the one P-256 key given: ${JSON.stringify(keys)}`,
  );

  const { packages, bytes } = inventory(join(project, 'node_modules'));
  const others = packages.filter((installed) => installed !== name);
  check(packages.includes(name), `${label}: ${name} is not under node_modules`);
  check(
    others.length === 0,
    `${label}: installing ${name} also installed ${String(others.length)} packages: ${others.join(' ')}`,
  );
  check(bytes <= MAX_INSTALLED_BYTES, `${label}: installed size ${mb(bytes)} is over ${mb(MAX_INSTALLED_BYTES)}`);
  console.log(
    `${label} (node ${nodeVersion}): installed ${mb(bytes)} in ${String(packages.length)} package(s); --version, --help, render ok`,
  );
}

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

const work = mkdtempSync(join(tmpdir(), 'irsa-issuer-release-'));
try {
  let tarball;
  if (options.tarball !== undefined) {
    tarball = resolve(options.tarball);
  } else {
    if (!existsSync(join(root, 'dist', 'irsa-issuer.mjs')))
      throw new Error('dist/irsa-issuer.mjs is missing: run npm run build');
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root }));
    tarball = join(work, packed.filename);
    const shipped = packed.files.map((file) => file.path).sort();
    const unexpected = shipped.filter(
      (path) =>
        !['package.json', 'README.md', 'LICENSE', 'dist/irsa-issuer.mjs'].includes(path) &&
        !/^dist\/chunks\/[\w-]+\.mjs$/.test(path) &&
        !/^docs\/[\w.-]+\.md$/.test(path),
    );
    check(shipped.includes('dist/irsa-issuer.mjs'), 'the tarball has no dist/irsa-issuer.mjs');
    check(
      shipped.includes('docs/iam-policy.md'),
      'the tarball has no docs/iam-policy.md, which error messages point to',
    );
    check(unexpected.length === 0, `the tarball ships files nothing needs: ${unexpected.join(' ')}`);
    console.log(
      `packed ${packed.filename}: ${mb(packed.size)}, ${String(packed.entryCount)} files (${shipped.join(' ')})`,
    );
  }

  const keyFile = join(work, 'key.pem');
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));

  const node22 = join(work, 'node22');
  mkdirSync(node22);
  writeFileSync(join(node22, 'package.json'), JSON.stringify({ private: true, allowScripts: { node: true } }));
  run('npm', ['install', '--no-audit', '--no-fund', '--silent', `node@${NODE_22}`], { cwd: node22 });

  for (const [label, binary] of [
    ['node24', join(root, 'node_modules', '.bin', 'node')],
    ['node22', join(node22, 'node_modules', '.bin', 'node')],
  ]) {
    try {
      checkInstall(work, label, nodeOnPath(work, label, binary), tarball, keyFile);
    } catch (error) {
      // execFileSync's message carries the command and its stderr.
      check(false, `${label}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) {
    console.error(`release check of ${basename(tarball)} FAILED:\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  } else {
    console.log(`release check of ${basename(tarball)} passed`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

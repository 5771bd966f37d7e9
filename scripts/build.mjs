// The ESM bundle the Dockerfile and `npx irsa-issuer` run: dist/irsa-issuer.mjs, a small entry, and
// dist/chunks/, what it loads when a command runs. Nothing is left external but Node's built-ins (and
// ws's optional native addons bufferutil/utf-8-validate, which it loads in a try/catch and does
// without), so package.json has no runtime "dependencies": installing the package brings dist/ and
// nothing else (scripts/release-check.mjs proves it).
//
// Why chunks and not one file (bench/README.md has the numbers): V8 parses the whole of a file it
// loads, and all of it is ~2 MB. Split at each dynamic import(), `--version` parses 1 KB, `--help`
// the command definitions and commander (~80 KB), and a command its own action and the clients it
// uses: src/cli/<command>-action.ts, the Kubernetes client (src/cluster/lazy.ts) and S3
// (src/publish/lazy.ts) each load only when needed (test/cli/lazy-loading.test.ts). The entry turns
// on Node's compile cache first, so every later run skips parsing and compiling what it loads
// (src/cli/main.ts).
import { build } from 'esbuild';
import { chmodSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

// package.json is the one source of the version: `--version` prints what it said at build time.
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const outdir = 'dist';
const entry = join(outdir, 'irsa-issuer.mjs');

/** undici is imported by @kubernetes/client-node but never used by us: see scripts/undici-absent.mjs. */
const undiciAbsent = {
  name: 'undici-absent',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: resolve('scripts/undici-absent.mjs') }));
  },
};

// Chunk names carry a content hash: a stale chunk from an earlier build must not ship.
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { 'irsa-issuer': 'src/cli/main.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  // Error classes name themselves after their constructor (errors.ts); keep those names.
  keepNames: true,
  sourcemap: false,
  define: { __IRSA_ISSUER_VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  banner: {
    // Every chunk: CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    // The entry is evaluated after the chunks it imports statically, so each chunk checks the Node
    // version before any of its code runs: on an older Node they fail with an unreadable TypeError.
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __createRequire } from 'node:module';",
      'const require = __createRequire(import.meta.url);',
      "{ const [major, minor] = process.versions.node.split('.').map(Number); if (major < 22 || (major === 22 && minor < 19)) { process.stderr.write(`irsa-issuer needs Node.js 22.19 or newer (24 LTS recommended); this is ${process.version}.\\n`); process.exit(2); } }",
    ].join('\n'),
  },
  plugins: [undiciAbsent],
  logLevel: 'warning',
});
chmodSync(entry, 0o755);
const chunks = readdirSync(join(outdir, 'chunks')).map((name) => statSync(join(outdir, 'chunks', name)).size);
const total = statSync(entry).size + chunks.reduce((sum, size) => sum + size, 0);
console.error(
  `built ${entry} (${(statSync(entry).size / 1024).toFixed(1)} KiB) and ${String(chunks.length)} chunks in ` +
    `${outdir}/chunks (${(total / 1024).toFixed(0)} KiB in all)`,
);

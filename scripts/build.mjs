// One self-contained ESM bundle: the Dockerfile and `npx irsa-issuer` run exactly this file. Nothing is
// left external but Node's built-ins (and ws's optional native addons bufferutil/utf-8-validate, which
// it loads in a try/catch and does without), so package.json has no runtime "dependencies": installing
// the package brings this file and nothing else (scripts/release-check.mjs proves it).
import { build } from 'esbuild';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

// package.json is the one source of the version: `--version` prints what it said at build time.
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const outfile = 'dist/irsa-issuer.mjs';

/** undici is imported by @kubernetes/client-node but never used by us: see scripts/undici-absent.mjs. */
const undiciAbsent = {
  name: 'undici-absent',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: resolve('scripts/undici-absent.mjs') }));
  },
};
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile,
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
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __createRequire } from 'node:module';",
      'const require = __createRequire(import.meta.url);',
      // Checked before any bundled module runs: on an older Node they fail with an unreadable TypeError
      // (the Kubernetes client bundles undici, which declares Node 22.19 as its floor).
      "{ const [major, minor] = process.versions.node.split('.').map(Number); if (major < 22 || (major === 22 && minor < 19)) { process.stderr.write(`irsa-issuer needs Node.js 22.19 or newer (24 LTS recommended); this is ${process.version}.\\n`); process.exit(2); } }",
    ].join('\n'),
  },
  plugins: [undiciAbsent],
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
console.error(`built ${outfile} (${(statSync(outfile).size / 1024).toFixed(0)} KiB)`);

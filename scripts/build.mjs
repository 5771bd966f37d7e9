// One self-contained ESM bundle: the Dockerfile and `npx irsa-issuer` run exactly this file.
import { build } from 'esbuild';
import { chmodSync, statSync } from 'node:fs';

const outfile = 'dist/irsa-issuer.mjs';
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
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
console.error(`built ${outfile} (${(statSync(outfile).size / 1024).toFixed(0)} KiB)`);

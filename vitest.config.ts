import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

export default defineConfig({
  // What scripts/build.mjs defines for the bundle, for tests that run src/ directly.
  define: { __IRSA_ISSUER_VERSION__: JSON.stringify(version) },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/stand/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/stand/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

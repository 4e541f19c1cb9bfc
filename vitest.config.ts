import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'plugins/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start servers on ephemeral loopback ports; two workers match the 2-core machines.
    maxWorkers: 2,
  },
});

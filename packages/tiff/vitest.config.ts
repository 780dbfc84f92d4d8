import { defineConfig } from 'vitest/config';

// Forks, not threads: the Java bridge's native addon crashes inside worker_threads.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});

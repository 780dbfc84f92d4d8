import { defineConfig } from 'vitest/config';

/**
 * The vitest settings every package shares. Forks, not threads: the Java bridge's native addon crashes
 * inside worker_threads. Long timeouts: tests run real peers (Python, the JVM) on real files.
 */
export function packageTestConfig(overrides: { testTimeout?: number; hookTimeout?: number } = {}) {
  return defineConfig({
    test: {
      pool: 'forks',
      testTimeout: overrides.testTimeout ?? 120_000,
      hookTimeout: overrides.hookTimeout ?? 300_000,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    },
  });
}

import { defineConfig } from 'vitest/config';

/**
 * The crash suite (`npm run test:crash`, operations.md): real processes killed with SIGKILL, one
 * run after another, minutes long — kept apart from the fast `vitest run` (vitest.config.ts).
 */
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    // About 1.5 minutes per database on two idle cores; the margin is for a busy machine.
    testTimeout: 420_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});

import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // The crash suite runs on its own (vitest.crash.config.ts, `npm run test:crash`).
    exclude: [...configDefaults.exclude, 'test/crash/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file owns its databases and ports; files run in parallel on the machine's cores.
    fileParallelism: true,
    reporters: ['default'],
  },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
});

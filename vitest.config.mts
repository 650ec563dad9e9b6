import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One process per file: libtorch's native state (threads, allocators) is not shared across workers.
    pool: 'forks',
    // Two files at once on CI's 2 cores: much of a test's time is waiting on its Python reference process.
    maxWorkers: 2,
    // gc() lets the memory tests measure RSS without V8's uncollected garbage in it.
    execArgv: ['--expose-gc'],
    // gc() before each test: see test/helpers/setup.ts.
    setupFiles: ['test/helpers/setup.ts'],
    // The JSON report feeds the one-line summary that .ci/run prints.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

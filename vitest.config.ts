import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One process per file: libtorch's native state (threads, allocators) is not shared across workers.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

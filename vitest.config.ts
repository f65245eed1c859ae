import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each e2e/integration file starts its own DynamoDB Local (and local stack): generous
    // timeouts for a busy 2-core machine; speed targets live in `npm run bench`, not here.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});

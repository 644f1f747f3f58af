import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bus-lint',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    exclude: ['test/fixtures/**'],
    // Each lint builds a TypeScript program; on a busy CI machine that takes seconds, in hooks too.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

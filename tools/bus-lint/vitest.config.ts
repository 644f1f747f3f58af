import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bus-lint',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    exclude: ['test/fixtures/**'],
    testTimeout: 60_000,
  },
});

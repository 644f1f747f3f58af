import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bus-registry',
    include: ['src/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

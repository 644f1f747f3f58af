import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'event-bus-data',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'infra-local',
    include: ['src/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});

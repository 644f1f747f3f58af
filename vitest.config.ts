import { defineConfig } from 'vitest/config';

// One vitest project per package; each package keeps its own vitest.config.ts (defineProject).
// Tiers are chosen by file suffix: *.spec.ts (unit), *.int.spec.ts (real servers), *.e2e.spec.ts (whole platform).
export default defineConfig({
  test: {
    projects: [
      'libs/*/vitest.config.ts',
      'services/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'tools/*/vitest.config.ts',
      'infra/*/vitest.config.ts',
    ],
  },
});

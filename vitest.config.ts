import { defineConfig } from 'vitest/config';

// One vitest project per package; each package keeps its own vitest.config.ts.
// Tiers are chosen by file suffix: *.spec.ts (unit), *.int.spec.ts (real servers), *.e2e.spec.ts (whole platform).
export default defineConfig({
  test: {
    projects: ['libs/*', 'services/*', 'apps/*', 'tools/*', 'infra/local'],
  },
});

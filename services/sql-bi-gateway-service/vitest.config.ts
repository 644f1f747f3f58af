import swc from 'unplugin-swc';
import { defineProject } from 'vitest/config';

export default defineProject({
  // esbuild cannot emit decorator metadata, which NestJS dependency injection needs: swc can.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    name: 'sql-bi-gateway-service',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

import swc from 'unplugin-swc';
import { defineProject } from 'vitest/config';

export default defineProject({
  // esbuild cannot emit decorator metadata, which NestJS dependency injection needs: swc can.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    name: 'connector-management-service',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

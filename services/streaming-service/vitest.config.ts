import swc from 'unplugin-swc';
import { defineProject } from 'vitest/config';

export default defineProject({
  // esbuild cannot emit decorator metadata, which NestJS dependency injection needs: swc can.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    name: 'streaming-service',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // Every consuming test joins the one consumer group the registry declares for the service: two
    // files at once would split the partitions between their databases.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

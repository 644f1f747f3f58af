import swc from 'unplugin-swc';
import { defineProject } from 'vitest/config';

export default defineProject({
  // esbuild cannot emit decorator metadata, which NestJS dependency injection needs: swc can.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    name: 'connector-service',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // Integration tests read the shared Kafka topics from the beginning on a busy machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Replicas answer their command subjects in one queue group per service (event-bus-control),
    // so two replicas of this package running at once could take each other's requests.
    fileParallelism: false,
  },
});

import 'reflect-metadata';
import { defineService } from '@openfoundry/service-kit';
import manifest from '../service.json' with { type: 'json' };
import { AppModule } from './app.module.ts';
import { streamingConfigSchema } from './config.ts';
import { migrations } from './migrations/index.ts';
import { AssetStreamConsumer } from './projection/asset-stream.consumer.ts';

export const streamingService = defineService({
  manifest,
  module: AppModule,
  configSchema: streamingConfigSchema,
  migrations,
  buses: ['data'],
  outbox: true,
  readiness: {
    'asset-stream-consumer': (app) => app.get(AssetStreamConsumer).check(),
  },
});

import 'reflect-metadata';
import { defineService } from '@openfoundry/service-kit';
import manifest from '../service.json' with { type: 'json' };
import { AppModule } from './app.module.ts';
import { liveConfigSchema } from './config.ts';
import { ForwarderService } from './forwarder/forwarder.service.ts';
import { migrations } from './migrations/index.ts';

export const liveService = defineService({
  manifest,
  module: AppModule,
  configSchema: liveConfigSchema,
  migrations,
  buses: ['data', 'control'],
  readiness: { forwarder: (app) => app.get(ForwarderService).check() },
});

import 'reflect-metadata';
import { defineService } from '@openfoundry/service-kit';
import manifest from '../service.json' with { type: 'json' };
import { AppModule } from './app.module.ts';
import { tenancyConfigSchema } from './config.ts';
import { migrations } from './migrations/index.ts';
import { DemoSeedService } from './tenants/demo-seed.service.ts';

export const tenancyService = defineService({
  manifest,
  module: AppModule,
  configSchema: tenancyConfigSchema,
  migrations,
  buses: ['data', 'control'],
  outbox: true,
  onReady: async (app, config) => {
    if (config.SEED_DEMO) await app.get(DemoSeedService).seed();
  },
});

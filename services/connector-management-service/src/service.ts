import 'reflect-metadata';
import { defineService } from '@openfoundry/service-kit';
import manifest from '../service.json' with { type: 'json' };
import { AppModule } from './app.module.ts';
import { connectorManagementConfigSchema } from './config.ts';
import { migrations } from './migrations/index.ts';

export const connectorManagementService = defineService({
  manifest,
  module: AppModule,
  configSchema: connectorManagementConfigSchema,
  migrations,
  buses: ['control'],
});

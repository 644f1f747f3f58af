import 'reflect-metadata';
import { defineService } from '@openfoundry/service-kit';
import manifest from '../service.json' with { type: 'json' };
import { AppModule } from './app.module.ts';
import { catalogConfigSchema } from './config.ts';
import { migrations } from './migrations/index.ts';
import { Warehouse } from './storage/warehouse.ts';

export const icebergCatalogService = defineService({
  manifest,
  module: AppModule,
  configSchema: catalogConfigSchema,
  migrations,
  readiness: { warehouse: (app) => app.get(Warehouse).ping() },
  // Documents are built without a platform: any well-formed S3 settings do.
  documentEnv: {
    OPENFOUNDRY_S3_ENDPOINT: 'http://127.0.0.1:1',
    OPENFOUNDRY_S3_ACCESS_KEY: 'openapi',
    OPENFOUNDRY_S3_SECRET_KEY: 'openapi',
  },
});

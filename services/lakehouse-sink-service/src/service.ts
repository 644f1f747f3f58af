import 'reflect-metadata';
import { defineService } from '@openfoundry/service-kit';
import manifest from '../service.json' with { type: 'json' };
import { AppModule } from './app.module.ts';
import { sinkConfigSchema } from './config.ts';
import { migrations } from './migrations/index.ts';
import { LakehouseSinkService } from './sink/lakehouse-sink.service.ts';

export const lakehouseSinkService = defineService({
  manifest,
  module: AppModule,
  configSchema: sinkConfigSchema,
  migrations,
  buses: ['data'],
  readiness: { sink: (app) => app.get(LakehouseSinkService).check() },
  documentEnv: { SINK_CATALOG_URL: 'http://127.0.0.1:8181', SINK_CATALOG_TOKEN: 'openapi' },
});

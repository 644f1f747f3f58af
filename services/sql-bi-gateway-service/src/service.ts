import 'reflect-metadata';
import { defineService } from '@openfoundry/service-kit';
import manifest from '../service.json' with { type: 'json' };
import { AppModule } from './app.module.ts';
import { sqlGatewayConfigSchema } from './config.ts';
import { FlightSqlEdge } from './flight-sql/flight-sql-edge.ts';
import { migrations } from './migrations/index.ts';

export const sqlBiGatewayService = defineService({
  manifest,
  module: AppModule,
  configSchema: sqlGatewayConfigSchema,
  migrations,
  // Building the OpenAPI document starts the app without a database: bind no gRPC port, attach nothing.
  documentEnv: { FLIGHT_SQL_PORT: '0', SQL_POSTGRES_CATALOG: 'false' },
  readiness: {
    'flight-sql': (app) => app.get(FlightSqlEdge).ping(),
  },
});

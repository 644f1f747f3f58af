import 'reflect-metadata';
import { defineService } from '@openfoundry/service-kit';
import manifest from '../service.json' with { type: 'json' };
import { AppModule } from './app.module.ts';
import { connectorConfigSchema } from './config.ts';

export const connectorService = defineService({
  manifest,
  module: AppModule,
  configSchema: connectorConfigSchema,
  buses: ['data', 'control'],
});

/**
 * connector-service keeps no state (ADR 0003), so it has no database; the service kit still asks
 * for DATABASE_URL, which gets a placeholder no connection is ever opened to. HTTP push bodies may
 * be up to 4 MiB unless BODY_LIMIT_BYTES says otherwise.
 */
export function withConnectorDefaults(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return {
    ...env,
    DATABASE_URL: env.DATABASE_URL || 'postgres://connector-service@127.0.0.1:1/no-database',
    BODY_LIMIT_BYTES: env.BODY_LIMIT_BYTES || String(4 * 1024 * 1024),
  };
}

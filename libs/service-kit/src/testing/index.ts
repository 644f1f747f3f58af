import { randomBytes } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import { createServiceApp, type ServiceApp, type ServiceDefinition } from '../bootstrap.ts';
import type { ServiceConfigSchema } from '../config/config.ts';

export const DEFAULT_PG_ADMIN_URL = 'postgres://openfoundry:openfoundry@127.0.0.1:5432/postgres';

export function pgAdminUrl(): string {
  return process.env.OPENFOUNDRY_PG_ADMIN_URL || DEFAULT_PG_ADMIN_URL;
}

export interface TestDatabase {
  name: string;
  /** Connection URL of the throwaway database (admin credentials). */
  url: string;
  adminUrl: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates a throwaway database on the real Postgres at OPENFOUNDRY_PG_ADMIN_URL. */
export async function createTestDatabase(prefix = 'of_test'): Promise<TestDatabase> {
  const adminUrl = pgAdminUrl();
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database ${client.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    adminUrl,
    drop: () =>
      withAdmin(adminUrl, async (client) => {
        await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
      }),
  };
}

/** A unique name for a database the service itself is expected to create (via DATABASE_ADMIN_URL). */
export function uniqueDatabaseName(prefix = 'of_test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export async function dropDatabase(name: string, role?: string): Promise<void> {
  await withAdmin(pgAdminUrl(), async (client) => {
    await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
    if (role) await client.query(`drop role if exists ${client.escapeIdentifier(role)}`);
  });
}

export interface TestApp<S extends ServiceConfigSchema | undefined> extends ServiceApp<S> {
  /** Sends a request through Fastify without a socket. */
  inject(options: InjectOptions | string): Promise<LightMyRequestResponse>;
}

/**
 * The service as it runs in production (config, migrations, filters, request ids), ready for
 * Fastify inject. Logs are silent unless LOG_LEVEL is given.
 */
export async function createTestApp<S extends ServiceConfigSchema | undefined>(
  definition: ServiceDefinition<S>,
  options: {
    env?: Record<string, string | undefined>;
    migrate?: boolean;
    logDestination?: DestinationStream;
  } = {},
): Promise<TestApp<S>> {
  const service = await createServiceApp(definition, {
    env: { LOG_LEVEL: 'silent', PORT: '0', ...options.env },
    ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    runOnReady: false,
  });
  const fastify = service.app.getHttpAdapter().getInstance();
  return { ...service, inject: (request) => fastify.inject(request) };
}
/** One free-port finder for the whole repo: the infrastructure's. */
export { freePort } from '@openfoundry/infra-local';
export { type ServiceProcess, startServiceProcess, waitForReady } from './process.ts';

import { Inject } from '@nestjs/common';
import { Kysely, type Migration, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger as PinoLogger } from 'pino';

export const KYSELY = Symbol('openfoundry:kysely');
/** Injects the service's Kysely instance; type it with the service's database interface. */
export const InjectDb = (): ParameterDecorator & PropertyDecorator => Inject(KYSELY);

/** Migrations are code: a record of name → {up, down}, applied in name order. */
export type Migrations = Record<string, Migration>;

export function createKysely<DB>(options: { url: string; poolMax: number; logger: PinoLogger }): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (error) =>
    options.logger.warn({ err: error, context: 'Database' }, 'idle database client error'),
  );
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

export async function pingDatabase(db: Kysely<unknown>): Promise<void> {
  await sql`select 1`.execute(db);
}

export async function migrateToLatest(
  db: Kysely<unknown>,
  migrations: Migrations,
  logger: PinoLogger,
): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    const line = { context: 'Migrator', migration: result.migrationName, direction: result.direction };
    if (result.status === 'Success') logger.info(line, 'migration applied');
    else if (result.status === 'Error') logger.error(line, 'migration failed');
  }
  if (error) throw error instanceof Error ? error : new Error(`migration failed: ${String(error)}`);
}

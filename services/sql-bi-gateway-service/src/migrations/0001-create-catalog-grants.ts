import { type Kysely, sql } from 'kysely';

/**
 * Catalog grants per principal. Empty until identity-service exists; static development users
 * come from OPENFOUNDRY_SQL_USERS meanwhile.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('catalog_grants')
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('catalog', 'text', (c) => c.notNull())
    .addColumn('can_write', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('catalog_grants_pkey', ['principal', 'catalog'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('catalog_grants').execute();
}

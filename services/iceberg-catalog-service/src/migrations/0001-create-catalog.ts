import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('namespaces')
    .addColumn('levels', sql`text[]`, (c) => c.primaryKey())
    .addColumn('properties', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('namespaces_levels_not_empty', sql`cardinality(levels) > 0`)
    .addCheckConstraint('namespaces_properties_object', sql`jsonb_typeof(properties) = 'object'`)
    .execute();
  await db.schema
    .createTable('tables')
    // RESTRICT: a namespace with tables cannot be dropped, checked by the database in the same statement.
    .addColumn('namespace', sql`text[]`, (c) =>
      c.notNull().references('namespaces.levels').onDelete('restrict'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('metadata_location', 'text', (c) => c.notNull())
    .addColumn('table_uuid', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('tables_pkey', ['namespace', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tables').execute();
  await db.schema.dropTable('namespaces').execute();
}

import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    // NO ACTION (not RESTRICT) is checked at the end of the statement, so one DELETE can remove a subtree.
    .addColumn('parent_id', 'uuid', (c) => c.references('tenants.id'))
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'tenants_slug_format',
      sql`slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) between 3 and 63`,
    )
    .addCheckConstraint('tenants_settings_object', sql`jsonb_typeof(settings) = 'object'`)
    .addCheckConstraint('tenants_not_own_parent', sql`parent_id is distinct from id`)
    .execute();
  await db.schema
    .createIndex('tenants_parent_id_slug_idx')
    .on('tenants')
    .columns(['parent_id', 'slug'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tenants').execute();
}

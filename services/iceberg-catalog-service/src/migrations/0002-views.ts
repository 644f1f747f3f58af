import { type Kysely, sql } from 'kysely';

/** Views join tables in the same rows: one name per namespace, whichever kind it is. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tables')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('table'))
    .execute();
  await db.schema
    .alterTable('tables')
    .addCheckConstraint('tables_kind', sql`kind in ('table', 'view')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tables').dropColumn('kind').execute();
}

import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The transactional outbox table. A service adds this migration to its own list, under the next
 * free name, when it publishes state changes from its database.
 */
export const outboxMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('outbox')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('bus', 'text', (c) => c.notNull().check(sql`bus in ('data', 'control')`))
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('message_key', 'text')
      .addColumn('tokens', 'jsonb')
      .addColumn('job', 'text')
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('outbox').execute();
  },
};

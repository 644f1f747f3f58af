import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('forwarder_partitions')
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('next_offset', 'bigint', (c) => c.notNull())
    .addColumn('events_forwarded', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('events_skipped', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_forwarded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_event_ingest_time', 'timestamptz')
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('forwarder_partitions_pkey', ['topic', 'partition'])
    .addCheckConstraint('forwarder_partitions_partition_nonnegative', sql`partition >= 0`)
    .addCheckConstraint('forwarder_partitions_offset_nonnegative', sql`next_offset >= 0`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('forwarder_partitions').execute();
}

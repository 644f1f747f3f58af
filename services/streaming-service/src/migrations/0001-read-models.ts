import { type Kysely, sql } from 'kysely';

// The read models are plain tables in `public` with types DuckDB's Postgres scanner maps one to
// one, so the Flight SQL edge reads them as they are (README: "Tables").
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('asset_state')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('attribute', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value_type', 'text', (c) => c.notNull())
    .addColumn('value_double', 'double precision')
    .addColumn('value_long', 'bigint')
    .addColumn('value_bool', 'boolean')
    .addColumn('value_string', 'text')
    .addColumn('value_json', 'jsonb')
    .addColumn('unit', 'text')
    .addColumn('quality', 'text', (c) => c.notNull())
    .addColumn('source_time', 'timestamptz', (c) => c.notNull())
    .addColumn('ingest_time', 'timestamptz', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('stream_partition', 'integer', (c) => c.notNull())
    .addColumn('stream_offset', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('asset_state_pkey', ['tenant', 'asset_id', 'attribute'])
    .addCheckConstraint(
      'asset_state_value_type',
      sql`value_type in ('double', 'long', 'boolean', 'string', 'json', 'null')`,
    )
    .execute();

  await db.schema
    .createTable('asset_aggregates')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('attribute', 'text', (c) => c.notNull())
    .addColumn('window_size', 'text', (c) => c.notNull().check(sql`window_size in ('1m', '1h')`))
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('window_end', 'timestamptz', (c) => c.notNull())
    .addColumn('event_count', 'bigint', (c) => c.notNull())
    .addColumn('numeric_count', 'bigint', (c) => c.notNull())
    .addColumn('min_value', 'double precision')
    .addColumn('max_value', 'double precision')
    .addColumn('sum_value', 'double precision')
    .addColumn('avg_value', 'double precision')
    .addColumn('last_type', 'text', (c) => c.notNull())
    .addColumn('last_value', 'jsonb')
    .addColumn('last_time', 'timestamptz', (c) => c.notNull())
    // Window first: a time range of one asset, with or without an attribute, is one index range.
    .addPrimaryKeyConstraint('asset_aggregates_pkey', [
      'tenant',
      'asset_id',
      'window_size',
      'window_start',
      'attribute',
    ])
    .execute();

  // The next asset-stream offset per partition whose records are already in the read models,
  // committed in the same transaction as the rows they produced.
  await db.schema
    .createTable('consumer_offsets')
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('kafka_partition', 'integer', (c) => c.notNull())
    .addColumn('next_offset', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('consumer_offsets_pkey', ['topic', 'kafka_partition'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('consumer_offsets').execute();
  await db.schema.dropTable('asset_aggregates').execute();
  await db.schema.dropTable('asset_state').execute();
}

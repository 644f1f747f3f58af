import { Injectable } from '@nestjs/common';
import { InjectDb } from '@openfoundry/service-kit';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { StreamingDatabase } from '../database.ts';
import {
  type AggregateRow,
  avgOf,
  type StateRow,
  typedValueOf,
  valueColumns,
  WINDOWS,
  type WindowRef,
  type WindowSize,
  windowKey,
} from './projection.ts';

type Db = Kysely<StreamingDatabase> | Transaction<StreamingDatabase>;

const iso = (millis: number) => new Date(millis).toISOString();

/**
 * The projection's SQL. Batches are written with one statement per table over `unnest` of column
 * arrays: a fixed number of parameters whatever the batch size, and one round trip. These are the
 * reviewed raw-SQL exceptions of ADR 0006 — Kysely's multi-row VALUES would need a parameter per
 * cell and hits Postgres's 65,535 limit at a few thousand rows.
 */
@Injectable()
export class ProjectionRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  /** Runs `work` in one transaction with a repository bound to it. */
  transaction<T>(
    work: (repository: ProjectionRepository, trx: Transaction<StreamingDatabase>) => Promise<T>,
  ) {
    return this.db.transaction().execute((trx) => work(new ProjectionRepository(trx), trx));
  }

  /**
   * The stored next offsets of these partitions, locked until commit: a batch redelivered to another
   * member after a rebalance waits here, then finds its records already applied.
   */
  async lockOffsets(topic: string, partitions: readonly number[]): Promise<Map<number, bigint>> {
    const sorted = [...partitions].sort((a, b) => a - b);
    await sql`insert into consumer_offsets (topic, kafka_partition, next_offset)
      select ${topic}, p, 0 from unnest(${sorted}::int[]) as p
      on conflict do nothing`.execute(this.db);
    const rows = await this.db
      .selectFrom('consumer_offsets')
      .select(['kafka_partition', 'next_offset'])
      .where('topic', '=', topic)
      .where('kafka_partition', 'in', sorted.length ? sorted : [-1])
      .orderBy('kafka_partition')
      .forUpdate()
      .execute();
    return new Map(rows.map((row) => [row.kafka_partition, BigInt(row.next_offset)]));
  }

  async storeOffsets(topic: string, offsets: ReadonlyMap<number, bigint>): Promise<void> {
    if (offsets.size === 0) return;
    const partitions = [...offsets.keys()];
    const next = partitions.map((p) => String(offsets.get(p)));
    await sql`update consumer_offsets as o set next_offset = v.next_offset
      from unnest(${partitions}::int[], ${next}::bigint[]) as v(kafka_partition, next_offset)
      where o.topic = ${topic} and o.kafka_partition = v.kafka_partition`.execute(this.db);
  }

  /** Every stored offset of a topic (for status and lag). */
  async offsets(topic: string): Promise<Map<number, bigint>> {
    const rows = await this.db
      .selectFrom('consumer_offsets')
      .select(['kafka_partition', 'next_offset'])
      .where('topic', '=', topic)
      .execute();
    return new Map(rows.map((row) => [row.kafka_partition, BigInt(row.next_offset)]));
  }

  /** The stored rows of these windows, keyed by windowKey. */
  async loadAggregates(refs: Iterable<WindowRef>): Promise<Map<string, AggregateRow>> {
    const list = [...refs];
    const found = new Map<string, AggregateRow>();
    if (list.length === 0) return found;
    const { rows } = await sql<{
      tenant: string;
      asset_id: string;
      attribute: string;
      window_size: WindowSize;
      window_start: Date;
      event_count: string;
      numeric_count: string;
      min_value: number | null;
      max_value: number | null;
      sum_value: number | null;
      last_type: string;
      last_value: unknown;
      last_time: Date;
    }>`select a.tenant, a.asset_id, a.attribute, a.window_size, a.window_start, a.event_count,
        a.numeric_count, a.min_value, a.max_value, a.sum_value, a.last_type, a.last_value, a.last_time
      from asset_aggregates a
      join unnest(${list.map((r) => r.tenant)}::text[], ${list.map((r) => r.assetId)}::text[],
                  ${list.map((r) => r.window)}::text[], ${list.map((r) => iso(r.windowStart))}::timestamptz[],
                  ${list.map((r) => r.attribute)}::text[])
        as k(tenant, asset_id, window_size, window_start, attribute)
      using (tenant, asset_id, window_size, window_start, attribute)`.execute(this.db);
    for (const row of rows) {
      const aggregate: AggregateRow = {
        tenant: row.tenant,
        assetId: row.asset_id,
        attribute: row.attribute,
        window: row.window_size,
        windowStart: row.window_start.getTime(),
        count: Number(row.event_count),
        numericCount: Number(row.numeric_count),
        min: row.min_value,
        max: row.max_value,
        sum: row.sum_value,
        last: typedValueOf(row.last_type, row.last_value),
        lastTime: row.last_time.getTime(),
      };
      found.set(windowKey(aggregate), aggregate);
    }
    return found;
  }

  async upsertStates(rows: readonly StateRow[]): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map((row) => valueColumns(row.value));
    await sql`insert into asset_state (tenant, asset_id, attribute, kind, value_type, value_double, value_long,
        value_bool, value_string, value_json, unit, quality, source_time, ingest_time, event_id,
        stream_partition, stream_offset)
      select * from unnest(
        ${rows.map((r) => r.tenant)}::text[], ${rows.map((r) => r.assetId)}::text[],
        ${rows.map((r) => r.attribute)}::text[], ${rows.map((r) => r.kind)}::text[],
        ${values.map((v) => v.type)}::text[], ${values.map((v) => v.double)}::float8[],
        ${values.map((v) => v.long)}::int8[], ${values.map((v) => v.bool)}::bool[],
        ${values.map((v) => v.string)}::text[], ${values.map((v) => v.json)}::jsonb[],
        ${rows.map((r) => r.unit)}::text[], ${rows.map((r) => r.quality)}::text[],
        ${rows.map((r) => iso(r.sourceTime))}::timestamptz[], ${rows.map((r) => iso(r.ingestTime))}::timestamptz[],
        ${rows.map((r) => r.eventId)}::uuid[], ${rows.map((r) => r.partition)}::int[],
        ${rows.map((r) => String(r.offset))}::int8[])
      on conflict (tenant, asset_id, attribute) do update set
        kind = excluded.kind, value_type = excluded.value_type, value_double = excluded.value_double,
        value_long = excluded.value_long, value_bool = excluded.value_bool,
        value_string = excluded.value_string, value_json = excluded.value_json, unit = excluded.unit,
        quality = excluded.quality, source_time = excluded.source_time, ingest_time = excluded.ingest_time,
        event_id = excluded.event_id, stream_partition = excluded.stream_partition,
        stream_offset = excluded.stream_offset`.execute(this.db);
  }

  async upsertAggregates(rows: readonly AggregateRow[]): Promise<void> {
    if (rows.length === 0) return;
    await sql`insert into asset_aggregates (tenant, asset_id, attribute, window_size, window_start, window_end,
        event_count, numeric_count, min_value, max_value, sum_value, avg_value, last_type, last_value, last_time)
      select * from unnest(
        ${rows.map((r) => r.tenant)}::text[], ${rows.map((r) => r.assetId)}::text[],
        ${rows.map((r) => r.attribute)}::text[], ${rows.map((r) => r.window)}::text[],
        ${rows.map((r) => iso(r.windowStart))}::timestamptz[],
        ${rows.map((r) => iso(r.windowStart + WINDOWS[r.window]))}::timestamptz[],
        ${rows.map((r) => r.count)}::int8[], ${rows.map((r) => r.numericCount)}::int8[],
        ${rows.map((r) => r.min)}::float8[], ${rows.map((r) => r.max)}::float8[],
        ${rows.map((r) => r.sum)}::float8[], ${rows.map((r) => avgOf(r))}::float8[],
        ${rows.map((r) => r.last.type)}::text[],
        ${rows.map((r) => (r.last.type === 'null' ? null : JSON.stringify(r.last.value ?? null)))}::jsonb[],
        ${rows.map((r) => iso(r.lastTime))}::timestamptz[])
      on conflict (tenant, asset_id, window_size, window_start, attribute) do update set
        event_count = excluded.event_count, numeric_count = excluded.numeric_count,
        min_value = excluded.min_value, max_value = excluded.max_value, sum_value = excluded.sum_value,
        avg_value = excluded.avg_value, last_type = excluded.last_type, last_value = excluded.last_value,
        last_time = excluded.last_time`.execute(this.db);
  }

  /** Empties the read models and the stored offsets (a rebuild), in the caller's transaction. */
  async truncate(): Promise<void> {
    await sql`truncate asset_state, asset_aggregates, consumer_offsets`.execute(this.db);
  }
}

import { createTestApp, createTestDatabase, type TestDatabase } from '@openfoundry/service-kit/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectionService } from '../src/projection/projection.service.ts';
import { streamingService } from '../src/service.ts';
import { busEnv } from './bus-env.ts';
import { assetEvent, batchOf, double, long, onPartition, uniqueTenant } from './factories.ts';
import { snapshot } from './read-models.ts';

type App = Awaited<ReturnType<typeof createTestApp<typeof streamingService.configSchema>>>;

// The projection's SQL against real Postgres, batches handed in directly (the consumer is off).
describe(ProjectionService.name, () => {
  let database: TestDatabase;
  let app: App;
  let projection: ProjectionService;

  beforeAll(async () => {
    database = await createTestDatabase('of_streaming_projection');
    app = await createTestApp(streamingService, {
      env: { DATABASE_URL: database.url, STREAMING_CONSUME: 'false', ...(await busEnv()) },
    });
    projection = app.app.get(ProjectionService);
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const at = (iso: string) => ({ sourceTime: iso, ingestTime: iso });

  it('stores typed state columns SQL can read, one row per attribute', async () => {
    const tenant = uniqueTenant();
    const events = [
      assetEvent({ tenant, attribute: 'a-double', value: double(1.25), unit: 'bar' }),
      assetEvent({ tenant, attribute: 'a-long', value: long(2 ** 53 - 1) }),
      assetEvent({ tenant, attribute: 'a-bool', value: { type: 'boolean', value: true } }),
      assetEvent({
        tenant,
        attribute: 'a-string',
        value: { type: 'string', value: 'it\'s "quoted", {NULL}' },
      }),
      assetEvent({ tenant, attribute: 'a-json', value: { type: 'json', value: { k: ['v', 1, null] } } }),
      assetEvent({ tenant, attribute: 'a-null', value: { type: 'null', value: null }, quality: 'bad' }),
    ];
    const result = await projection.apply(batchOf(onPartition(0, 0n, events)));
    expect(result).toMatchObject({ applied: 6, skipped: 0, states: 6, windows: 12 });
    const { rows } = await sql<
      Record<string, unknown>
    >`select attribute, value_type, value_double, value_long::text,
        value_bool, value_string, value_json::text, unit, quality from asset_state where tenant = ${tenant}
        order by attribute`.execute(app.db);
    expect(rows).toEqual([
      expect.objectContaining({
        attribute: 'a-bool',
        value_type: 'boolean',
        value_bool: true,
        value_double: null,
      }),
      expect.objectContaining({
        attribute: 'a-double',
        value_type: 'double',
        value_double: 1.25,
        unit: 'bar',
      }),
      expect.objectContaining({
        attribute: 'a-json',
        value_type: 'json',
        value_json: '{"k": ["v", 1, null]}',
      }),
      expect.objectContaining({ attribute: 'a-long', value_type: 'long', value_long: '9007199254740991' }),
      expect.objectContaining({ attribute: 'a-null', value_type: 'null', value_json: null, quality: 'bad' }),
      expect.objectContaining({ attribute: 'a-string', value_string: 'it\'s "quoted", {NULL}' }),
    ]);
  });

  it('applies a redelivered batch once: the same rows and no new outbox messages', async () => {
    const tenant = uniqueTenant();
    const batch = batchOf(
      onPartition(5, 100n, [
        assetEvent({ tenant, value: double(1) }),
        assetEvent({ tenant, value: double(2), ...at('2026-03-01T10:00:30Z') }),
      ]),
    );
    // Partition 5 of a fresh tenant still shares the table with other tests: start it where this batch does.
    await sql`update consumer_offsets set next_offset = 100 where kafka_partition = 5`.execute(app.db);
    const outboxBefore = await outboxCount();
    const first = await projection.apply(batch);
    const after = await snapshot(app.db, tenant);
    const outboxAfter = await outboxCount();
    const second = await projection.apply(batch);
    expect(first).toMatchObject({ applied: 2, skipped: 0 });
    expect(second).toMatchObject({ applied: 0, skipped: 2 });
    expect(await snapshot(app.db, tenant)).toEqual(after);
    expect(outboxAfter - outboxBefore).toBe(3);
    expect(await outboxCount()).toBe(outboxAfter);
    expect(after.aggregates).toHaveLength(2);
  });

  it('applies the part of an overlapping redelivery that is new', async () => {
    const tenant = uniqueTenant();
    const records = onPartition(
      4,
      1_000n,
      [1, 2, 3, 4, 5].map((v) => assetEvent({ tenant, value: double(v) })),
    );
    await sql`insert into consumer_offsets (topic, kafka_partition, next_offset) values ('connector.asset-events.v1', 4, 1000)
      on conflict (topic, kafka_partition) do update set next_offset = 1000`.execute(app.db);
    await projection.apply(batchOf(records.slice(0, 3)));
    const overlapping = await projection.apply(batchOf(records.slice(1)));
    expect(overlapping).toMatchObject({ applied: 2, skipped: 2 });
    const { rows } = await sql<{ event_count: string; sum_value: number }>`select event_count, sum_value
      from asset_aggregates where tenant = ${tenant} and window_size = '1m'`.execute(app.db);
    expect(rows).toEqual([{ event_count: '5', sum_value: 15 }]);
  });

  it('updates an older window with a late event and keeps the newer last value', async () => {
    const tenant = uniqueTenant();
    await sql`delete from consumer_offsets where kafka_partition = 3`.execute(app.db);
    await projection.apply(
      batchOf(
        onPartition(3, 0n, [
          assetEvent({ tenant, value: double(1), ...at('2026-03-01T10:00:50Z') }),
          assetEvent({ tenant, value: double(2), ...at('2026-03-01T10:07:00Z') }),
        ]),
      ),
    );
    await projection.apply(
      batchOf(onPartition(3, 2n, [assetEvent({ tenant, value: long(7), ...at('2026-03-01T10:00:10Z') })])),
    );
    const { rows } = await sql<
      Record<string, unknown>
    >`select window_start, event_count, min_value, max_value,
        avg_value, last_type, last_value, last_time from asset_aggregates
      where tenant = ${tenant} and window_size = '1m' order by window_start`.execute(app.db);
    expect(rows[0]).toMatchObject({
      event_count: '2',
      min_value: 1,
      max_value: 7,
      avg_value: 4,
      last_type: 'double',
      last_value: 1,
      last_time: new Date('2026-03-01T10:00:50Z'),
    });
    // State follows the stream, so the late event is the current value.
    const state = await sql<{ value_type: string; value_long: string }>`select value_type, value_long
      from asset_state where tenant = ${tenant}`.execute(app.db);
    expect(state.rows).toEqual([{ value_type: 'long', value_long: '7' }]);
  });

  it('switches the value columns when an attribute changes type', async () => {
    const tenant = uniqueTenant();
    await sql`delete from consumer_offsets where kafka_partition = 2`.execute(app.db);
    await projection.apply(batchOf(onPartition(2, 0n, [assetEvent({ tenant, value: double(3.5) })])));
    await projection.apply(
      batchOf(onPartition(2, 1n, [assetEvent({ tenant, value: { type: 'boolean', value: false } })])),
    );
    const { rows } = await sql<
      Record<string, unknown>
    >`select value_type, value_double, value_bool from asset_state
      where tenant = ${tenant}`.execute(app.db);
    expect(rows).toEqual([{ value_type: 'boolean', value_double: null, value_bool: false }]);
  });

  it('writes a large batch of many keys in one transaction', async () => {
    const tenant = uniqueTenant();
    await sql`delete from consumer_offsets where kafka_partition = 1`.execute(app.db);
    const events = Array.from({ length: 6_000 }, (_, i) =>
      assetEvent({ tenant, assetId: `asset-${i % 300}`, attribute: `attr-${i % 7}`, value: double(i) }),
    );
    const result = await projection.apply(batchOf(onPartition(1, 0n, events)));
    expect(result).toMatchObject({ applied: 6_000, states: 2_100, windows: 4_200 });
    const { rows } = await sql<{
      n: string;
    }>`select count(*) as n from asset_state where tenant = ${tenant}`.execute(app.db);
    expect(rows[0]?.n).toBe('2100');
  });

  /** Outbox rows ever written: the relay deletes rows once published, so count the ids handed out. */
  async function outboxCount(): Promise<number> {
    const { rows } = await sql<{
      n: string;
    }>`select case when is_called then last_value else 0 end as n from outbox_id_seq`.execute(app.db);
    return Number(rows[0]?.n);
  }
});

import { topics } from '@openfoundry/bus-registry';
import { IcebergWriter, mainSnapshot, RestCatalog, TableMaintenance } from '@openfoundry/lakehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetTableWriter } from '../src/sink/asset-table-writer.ts';
import { offsetKey } from '../src/sink/offsets.ts';
import { ParentGuard } from '../src/sink/parent-guard.ts';
import { TableMaintainer } from '../src/sink/table-maintainer.ts';
import { assetEvent, sinkRecords, staged } from './factories.ts';
import { duckdbReader, PLATFORM_TOKEN, type RunningCatalog, startCatalog, uniqueTenant } from './sink-env.ts';

const TOPIC = topics.assetEvents.name;

describe(AssetTableWriter.name, () => {
  let lake: RunningCatalog;
  let reader: Awaited<ReturnType<typeof duckdbReader>>;
  const tenants: string[] = [];
  const writers: IcebergWriter[] = [];

  /** A sink's writer of its own: catalog client, guard and Iceberg writer, as the service builds them. */
  const sinkWriter = (base?: typeof fetch) => {
    const guard = new ParentGuard(base);
    const catalog = new RestCatalog({
      uri: lake.url,
      token: PLATFORM_TOKEN,
      warehouse: 'warehouse',
      fetch: guard.fetch,
    });
    const iceberg = new IcebergWriter({ catalog });
    writers.push(iceberg);
    return new AssetTableWriter(catalog, iceberg, guard, {
      topic: TOPIC,
      namespace: 'telemetry',
      table: 'asset_events',
      metadataVersionsMax: 5,
    });
  };
  const tenant = (label: string) => {
    const id = uniqueTenant(label);
    tenants.push(id);
    return id;
  };
  const table = (id: string) => `lake."${id}.telemetry".asset_events`;

  beforeAll(async () => {
    lake = await startCatalog();
    reader = await duckdbReader(lake.url);
  }, 120_000);

  afterAll(async () => {
    reader?.close();
    for (const w of writers) await w.close();
    await lake?.close();
  });

  it('creates the table on first commit, day-partitioned, and stores every column and the offsets', async () => {
    const acme = tenant('cols');
    const writer = sinkWriter();
    const events = [
      assetEvent(acme, 'press-1', 1),
      assetEvent(acme, 'press-1', 2, { value: { type: 'long', value: 2 ** 53 - 1 }, unit: undefined }),
      assetEvent(acme, 'press-2', 3, { value: { type: 'boolean', value: true }, sequence: undefined }),
      assetEvent(acme, 'press-2', 4, { value: { type: 'string', value: 'open' } }),
      assetEvent(acme, 'press-2', 5, {
        kind: 'command',
        value: { type: 'json', value: { speed: 3, names: ['a'] } },
        commandId: '0190a8e2-7c1a-7cc4-9a39-4f0d4c4f8a11',
        source: { protocol: 'command', replica: 'r', device: 'd' },
      }),
      assetEvent(acme, 'press-2', 6, { value: { type: 'null', value: null }, quality: 'bad' }),
      assetEvent(acme, 'press-3', 7, { sourceTime: '2026-11-24T00:00:00.123456+00:00' }),
    ];
    const records = [...sinkRecords(2, 10, events.slice(0, 4)), ...sinkRecords(5, 40, events.slice(4))];
    const committed = await writer.commit(acme, staged(records));
    expect(committed).toMatchObject({ records: 7, duplicates: 0, attempts: 1 });
    expect(committed.snapshotId).toBeDefined();

    const loaded = await lake.catalog.loadTable(writer.table(acme));
    expect(loaded.metadata['partition-specs'][0]?.fields).toEqual([
      expect.objectContaining({ name: 'source_time_day', transform: 'day' }),
    ]);
    expect(loaded.metadata.properties).toMatchObject({
      'write.metadata.delete-after-commit.enabled': 'true',
      'write.metadata.previous-versions-max': '5',
    });
    expect(mainSnapshot(loaded.metadata)?.summary).toMatchObject({
      [offsetKey(TOPIC, 2)]: '14',
      [offsetKey(TOPIC, 5)]: '43',
      'added-records': '7',
      'changed-partition-count': '2',
    });

    const rows = await reader.sql(
      `SELECT event_id, tenant, asset_id, kind, attribute, value_type, value_double, value_long::VARCHAR AS value_long,
              value_bool, value_string, value_json, unit, quality, strftime(source_time, '%Y-%m-%dT%H:%M:%S.%f') AS source_time,
              sequence, source_protocol, command_id, kafka_partition, kafka_offset
         FROM ${table(acme)} ORDER BY kafka_partition, kafka_offset`,
    );
    expect(rows).toHaveLength(7);
    expect(rows.map((r) => r.event_id)).toEqual(records.map((r) => r.event.eventId));
    expect(rows[0]).toMatchObject({
      tenant: acme,
      asset_id: 'press-1',
      kind: 'sample',
      attribute: 'temperature',
      value_type: 'double',
      value_double: 1.5,
      value_long: null,
      unit: 'Cel',
      quality: 'good',
      source_time: '2026-11-23T10:00:01.000000',
      sequence: '1',
      source_protocol: 'mqtt',
      kafka_partition: 2,
      kafka_offset: '10',
    });
    expect(rows[1]).toMatchObject({ value_type: 'long', value_long: String(2 ** 53 - 1), unit: null });
    expect(rows[2]).toMatchObject({ value_bool: true, sequence: null });
    expect(rows[3]).toMatchObject({ value_string: 'open' });
    expect(rows[4]).toMatchObject({
      kind: 'command',
      value_json: '{"speed":3,"names":["a"]}',
      command_id: '0190a8e2-7c1a-7cc4-9a39-4f0d4c4f8a11',
      source_protocol: 'command',
    });
    expect(rows[5]).toMatchObject({
      value_type: 'null',
      value_double: null,
      value_json: null,
      quality: 'bad',
    });
    expect(rows[6]).toMatchObject({ source_time: '2026-11-24T00:00:00.123456' });
  });

  it('drops records whose offsets the table already holds: a replayed batch writes nothing twice', async () => {
    const acme = tenant('replay');
    const writer = sinkWriter();
    const events = Array.from({ length: 20 }, (_, i) => assetEvent(acme, `a${i % 3}`, i));
    const first = sinkRecords(0, 100, events.slice(0, 12));
    await writer.commit(acme, staged(first));
    // The same offsets again (a crash before Kafka's commit), overlapping new ones.
    const replay = sinkRecords(0, 100, events);
    const second = await writer.commit(acme, staged(replay));
    expect(second).toMatchObject({ records: 8, duplicates: 12 });
    const again = await writer.commit(acme, staged(replay));
    expect(again).toMatchObject({ records: 0, duplicates: 20, snapshotId: undefined });
    expect(
      await reader.sql(`SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS ids FROM ${table(acme)}`),
    ).toEqual([{ n: 20, ids: 20 }]);
    expect(await writer.storedOffsets(acme)).toEqual(new Map([[0, 120n]]));
  });

  it('keeps every partition’s offsets when commits carry different partitions', async () => {
    const acme = tenant('carry');
    const writer = sinkWriter();
    await writer.commit(acme, staged(sinkRecords(1, 0, [assetEvent(acme, 'a', 1)])));
    await writer.commit(acme, staged(sinkRecords(3, 7, [assetEvent(acme, 'b', 2)])));
    expect(await writer.storedOffsets(acme)).toEqual(
      new Map([
        [1, 1n],
        [3, 8n],
      ]),
    );
  });

  it('two sinks committing the same offsets at once write each row once', async () => {
    const acme = tenant('race');
    const [a, b] = [sinkWriter(), sinkWriter()];
    const events = Array.from({ length: 30 }, (_, i) => assetEvent(acme, `m${i % 4}`, i));
    // Both hold partition 4's records (a rebalance hands it over), plus a partition of their own.
    const shared = sinkRecords(4, 0, events.slice(0, 20));
    const onlyA = sinkRecords(1, 0, events.slice(20, 25));
    const onlyB = sinkRecords(2, 0, events.slice(25));
    const results = await Promise.all([
      a.commit(acme, staged([...shared, ...onlyA])),
      b.commit(acme, staged([...shared, ...onlyB])),
    ]);
    expect(results.reduce((n, r) => n + r.records, 0)).toBe(30);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(20);
    expect(
      await reader.sql(`SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS ids FROM ${table(acme)}`),
    ).toEqual([{ n: 30, ids: 30 }]);
    expect(await a.storedOffsets(acme)).toEqual(
      new Map([
        [1, 5n],
        [2, 5n],
        [4, 20n],
      ]),
    );
  });

  it('refilters when another sink commits between its dedupe and its commit (the guard answers 409)', async () => {
    const acme = tenant('guard');
    const other = sinkWriter();
    const events = Array.from({ length: 10 }, (_, i) => assetEvent(acme, 'g', i));
    const shared = sinkRecords(3, 50, events);
    await other.commit(acme, staged(sinkRecords(3, 0, [assetEvent(acme, 'g', 99)])));
    let tableLoads = 0;
    let interfered: Promise<unknown> | undefined;
    // The other sink commits the same records right after this one filtered them, before it commits.
    const writer = sinkWriter(async (input, init) => {
      if ((init?.method ?? 'GET') === 'GET' && String(input).includes('/tables/asset_events')) {
        tableLoads += 1;
        if (tableLoads === 2) {
          interfered = other.commit(acme, staged(shared));
          await interfered;
        }
      }
      return fetch(input, init);
    });
    const committed = await writer.commit(acme, staged(shared));
    expect(interfered).toBeDefined();
    expect(committed).toMatchObject({ records: 0, duplicates: 10, attempts: 2 });
    expect(
      await reader.sql(`SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS ids FROM ${table(acme)}`),
    ).toEqual([{ n: 11, ids: 11 }]);
  });

  it('maintenance packs the appends into one file and keeps the offsets the dedupe reads', async () => {
    const acme = tenant('maint');
    const writer = sinkWriter();
    const events = Array.from({ length: 25 }, (_, i) => assetEvent(acme, `m${i % 2}`, i));
    for (let i = 0; i < 5; i++)
      await writer.commit(acme, staged(sinkRecords(1, i * 5, events.slice(i * 5, i * 5 + 5))));
    const maintenance = new TableMaintenance({ catalog: lake.catalog });
    try {
      const run = await new TableMaintainer(maintenance, {
        compactTargetBytes: 64 * 1024 * 1024,
        snapshotRetentionMs: 0,
        retainSnapshots: 1,
        orphanAgeMs: 3 * 24 * 3_600_000,
      }).run(writer.table(acme));
      expect(run).toMatchObject({ compactedFiles: 5, addedFiles: 1, expiredSnapshots: 5 });
    } finally {
      await maintenance.close();
    }
    const head = mainSnapshot((await lake.catalog.loadTable(writer.table(acme))).metadata);
    expect(head?.summary).toMatchObject({
      operation: 'replace',
      'total-data-files': '1',
      'total-records': '25',
    });
    expect(await writer.storedOffsets(acme)).toEqual(new Map([[1, 25n]]));
    // A replay after compaction is still recognised.
    expect(await writer.commit(acme, staged(sinkRecords(1, 0, events)))).toMatchObject({
      records: 0,
      duplicates: 25,
    });
    expect(
      await reader.sql(`SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS ids FROM ${table(acme)}`),
    ).toEqual([{ n: 25, ids: 25 }]);
  });

  it('keeps tenants apart: each table holds only its tenant’s rows', async () => {
    const [acme, globex] = [tenant('iso-a'), tenant('iso-g')];
    const writer = sinkWriter();
    await writer.commit(
      acme,
      staged(sinkRecords(0, 0, [assetEvent(acme, 'a', 1), assetEvent(acme, 'a', 2)])),
    );
    await writer.commit(globex, staged(sinkRecords(0, 2, [assetEvent(globex, 'g', 3)])));
    expect(await reader.sql(`SELECT DISTINCT tenant FROM ${table(acme)}`)).toEqual([{ tenant: acme }]);
    expect(await reader.sql(`SELECT DISTINCT tenant FROM ${table(globex)}`)).toEqual([{ tenant: globex }]);
    expect(await writer.storedOffsets(globex)).toEqual(new Map([[0, 3n]]));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CatalogError,
  CatalogErrorCode,
  EntryStatus,
  IcebergWriter,
  InvalidSourceError,
  liveDataFiles,
  mainSnapshot,
  RestCatalog,
  readManifestEntries,
  readManifestList,
} from '../src/index.ts';
import { eventBatch, eventRows, eventsTable } from './factories.ts';
import {
  ACME_TOKEN,
  duckdbReader,
  type RunningCatalog,
  readWithPyIceberg,
  startCatalog,
  testStore,
} from './lakehouse-env.ts';

describe(IcebergWriter.name, () => {
  let lake: RunningCatalog;
  let writer: IcebergWriter;
  let reader: Awaited<ReturnType<typeof duckdbReader>>;
  const readPy = (name: string) => readWithPyIceberg(lake, name);
  const sql = async (query: string) => (await reader.connection.runAndReadAll(query)).getRowObjectsJson();
  const duckTable = (name: string) => `lake."${lake.namespace.join('.')}".${name}`;
  /** The manifests the table's main snapshot lists. */
  const headManifests = async (name: string, store: ReturnType<typeof testStore>) => {
    const head = mainSnapshot((await lake.catalog.loadTable(lake.table(name))).metadata);
    if (!head) throw new Error(`${name} has no snapshot`);
    return readManifestList(store, head);
  };

  beforeAll(async () => {
    lake = await startCatalog();
    writer = new IcebergWriter({ catalog: lake.catalog });
    reader = await duckdbReader(lake.url);
  }, 120_000);

  afterAll(async () => {
    reader?.close();
    await writer?.close();
    await lake?.close();
  });

  describe('append', () => {
    it('appends Arrow batches that DuckDB and PyIceberg read back with the summary properties', async () => {
      await lake.catalog.createTable(lake.namespace, eventsTable('plain'));
      const first = await writer.append(
        lake.table('plain'),
        { batches: [eventBatch(eventRows(1, 50))] },
        {
          summary: { 'kafka.offsets': '{"0":49}' },
        },
      );
      const second = await writer.append(
        lake.table('plain'),
        { batches: [eventBatch(eventRows(51, 30)), eventBatch(eventRows(81, 20))] },
        { summary: { 'kafka.offsets': '{"0":99}' } },
      );
      expect(first?.records).toBe(50);
      expect(second?.records).toBe(50);
      expect(second?.summary).toMatchObject({
        operation: 'append',
        'added-records': '50',
        'added-data-files': '1',
        'total-records': '100',
        'total-data-files': '2',
        'kafka.offsets': '{"0":99}',
      });

      const expected = eventRows(1, 100);
      expect(
        await sql(`SELECT count(*)::INT AS n, sum(id)::BIGINT AS ids FROM ${duckTable('plain')}`),
      ).toEqual([{ n: 100, ids: String((100 * 101) / 2) }]);
      const duckRows = await sql(
        `SELECT id::INT AS id, site, reading, epoch_ms(observed_at) AS t FROM ${duckTable('plain')} ORDER BY id`,
      );
      expect(duckRows).toEqual(
        expected.map((r) => ({ id: r.id, site: r.site, reading: r.reading, t: String(r.observedAt) })),
      );

      const py = await readPy('plain');
      expect(py.rows.map((r) => [r.id, r.site, r.reading])).toEqual(
        expected.map((r) => [r.id, r.site, r.reading]),
      );
      expect(py.summary).toMatchObject({
        operation: 'append',
        'kafka.offsets': '{"0":99}',
        'total-records': '100',
      });
      expect(py.snapshots).toBe(2);
    });

    it('writes one file per day into a day-partitioned table, with bounds that prune files', async () => {
      await lake.catalog.createTable(lake.namespace, eventsTable('by_day', { partitioned: true }));
      const result = await writer.append(lake.table('by_day'), {
        batches: [eventBatch(eventRows(1, 90, 3))],
      });
      expect(result?.dataFiles).toHaveLength(3);
      expect(result?.dataFiles.every((path) => /\/data\/observed_at_day=2026-11-0[123]\//.test(path))).toBe(
        true,
      );

      const table = await lake.catalog.loadTable(lake.table('by_day'));
      const store = testStore();
      const files = await liveDataFiles(store, mainSnapshot(table.metadata));
      store.destroy();
      expect(files.map((f) => f.entry.data_file.record_count).map(Number)).toEqual([30, 30, 30]);
      const idBounds = files.map((f) => [
        Buffer.from(f.entry.data_file.lower_bounds?.find((b) => b.key === 1)?.value ?? []).readBigInt64LE(),
        Buffer.from(f.entry.data_file.upper_bounds?.find((b) => b.key === 1)?.value ?? []).readBigInt64LE(),
      ]);
      expect(idBounds.map(([lo, hi]) => Number(hi) - Number(lo))).toEqual([87, 87, 87]);

      expect(
        await sql(
          `SELECT observed_at::DATE::VARCHAR AS day, count(*)::INT AS n FROM ${duckTable('by_day')} GROUP BY 1 ORDER BY 1`,
        ),
      ).toEqual([
        { day: '2026-11-01', n: 30 },
        { day: '2026-11-02', n: 30 },
        { day: '2026-11-03', n: 30 },
      ]);
      const py = await readPy('by_day');
      expect(py.rows.map((r) => r.id)).toEqual(eventRows(1, 90).map((r) => r.id));
      expect(py.files).toHaveLength(3);
    });

    it('merges the small manifests into the new one once commit.manifest.min-count-to-merge of them are listed', async () => {
      const merging = { ...eventsTable('merging', { partitioned: true }) };
      merging.properties = { ...merging.properties, 'commit.manifest.min-count-to-merge': '3' };
      await lake.catalog.createTable(lake.namespace, merging);
      const store = testStore();
      try {
        const listed: number[] = [];
        const appends = [];
        for (let i = 0; i < 5; i++) {
          appends.push(
            await writer.append(lake.table('merging'), {
              batches: [eventBatch(eventRows(1 + i * 10, 10, 1))],
            }),
          );
          listed.push((await headManifests('merging', store)).length);
        }
        // Two small manifests and the new one make three: merged into one, twice.
        expect(listed).toEqual([1, 2, 1, 2, 1]);
        expect(appends[2]?.summary).toMatchObject({
          operation: 'append',
          'manifests-created': '1',
          'manifests-replaced': '2',
          'entries-processed': '3',
          'total-data-files': '3',
        });
        expect(appends[1]?.summary['manifests-replaced']).toBeUndefined();

        // Each file keeps the snapshot and sequence number it was added with.
        const [manifest] = await headManifests('merging', store);
        if (!manifest) throw new Error('no manifest');
        const entries = await readManifestEntries(store, manifest);
        const added = new Map(appends.map((a) => [a?.dataFiles[0], a]));
        expect(entries).toHaveLength(5);
        for (const entry of entries) {
          const by = added.get(entry.data_file.file_path);
          expect(BigInt(entry.snapshot_id ?? -1)).toBe(by?.snapshotId);
          expect(BigInt(entry.sequence_number ?? -1)).toBe(by?.sequenceNumber);
          expect(entry.status).toBe(by === appends[4] ? EntryStatus.Added : EntryStatus.Existing);
        }
        expect(BigInt(manifest.min_sequence_number)).toBe(appends[0]?.sequenceNumber);

        expect(
          await sql(`SELECT count(*)::INT AS n, sum(id)::BIGINT AS ids FROM ${duckTable('merging')}`),
        ).toEqual([{ n: 50, ids: String((50 * 51) / 2) }]);
        const py = await readPy('merging');
        expect(py.rows.map((r) => r.id)).toEqual(eventRows(1, 50).map((r) => r.id));
      } finally {
        store.destroy();
      }
    });

    it('keeps one manifest per append where commit.manifest-merge.enabled is false', async () => {
      const plain = { ...eventsTable('unmerged') };
      plain.properties = { ...plain.properties, 'commit.manifest-merge.enabled': 'false' };
      await lake.catalog.createTable(lake.namespace, plain);
      for (let i = 0; i < 12; i++)
        await writer.append(lake.table('unmerged'), { batches: [eventBatch(eventRows(1 + i, 1))] });
      const store = testStore();
      try {
        expect(await headManifests('unmerged', store)).toHaveLength(12);
      } finally {
        store.destroy();
      }
    });

    it('appends the result of a DuckDB query', async () => {
      await lake.catalog.createTable(lake.namespace, eventsTable('from_sql', { partitioned: true }));
      const result = await writer.append(lake.table('from_sql'), {
        sql: `SELECT i AS id, 'west' AS site, i / 2 AS reading, TIMESTAMPTZ '2026-11-05 00:00:00+00' + INTERVAL (i) HOUR AS observed_at FROM range(48) t(i)`,
      });
      expect(result?.dataFiles).toHaveLength(2);
      expect(await sql(`SELECT count(*)::INT AS n, min(site) AS site FROM ${duckTable('from_sql')}`)).toEqual(
        [{ n: 48, site: 'west' }],
      );
      const py = await readPy('from_sql');
      expect(py.rows).toHaveLength(48);
      expect(py.summary['added-records']).toBe('48');
    });

    it('partitions by identity on a column whose name Avro does not accept', async () => {
      await lake.catalog.createTable(lake.namespace, {
        name: 'odd_names',
        schema: {
          type: 'struct',
          fields: [
            { id: 1, name: 'id', required: true, type: 'long' },
            { id: 2, name: 'temp-c', required: false, type: 'int' },
          ],
        },
        'partition-spec': { fields: [{ 'source-id': 2, name: 'temp-c', transform: 'identity' }] },
      });
      const result = await writer.append(lake.table('odd_names'), {
        sql: `SELECT i AS id, (i % 3)::INT AS "temp-c" FROM range(1, 31) t(i)`,
      });
      expect(result?.dataFiles).toHaveLength(3);
      expect(
        await sql(
          `SELECT "temp-c" AS t, count(*)::INT AS n FROM ${duckTable('odd_names')} WHERE "temp-c" >= 1 GROUP BY 1 ORDER BY 1`,
        ),
      ).toEqual([
        { t: 1, n: 10 },
        { t: 2, n: 10 },
      ]);
      const py = await readPy('odd_names');
      expect(py.rows).toHaveLength(30);
      expect(py.files).toHaveLength(3);
    });

    it('refuses rows the table cannot hold and leaves no file behind', async () => {
      await lake.catalog.createTable(lake.namespace, eventsTable('strict'));
      const location = (await lake.catalog.loadTable(lake.table('strict'))).metadata.location;
      await expect(
        writer.append(lake.table('strict'), { sql: `SELECT NULL::BIGINT AS id, 'x' AS site` }),
      ).rejects.toThrow(InvalidSourceError);
      await expect(writer.append(lake.table('strict'), { sql: `SELECT 'x' AS site` })).rejects.toThrow(
        /no column for required field id/,
      );
      await expect(
        writer.append(lake.table('strict'), { sql: 'SELECT 1 AS id' }, { summary: { 'total-records': '7' } }),
      ).rejects.toThrow(/reserved/);
      const store = testStore();
      const files: string[] = [];
      for await (const object of store.list(`${location}/data`)) files.push(object.path);
      store.destroy();
      expect(files).toEqual([]);
      expect(
        await writer.append(lake.table('strict'), { sql: 'SELECT 1 AS id WHERE false' }),
      ).toBeUndefined();
      expect((await lake.catalog.loadTable(lake.table('strict'))).metadata.snapshots ?? []).toEqual([]);
    });

    it('treats a commit whose answer was lost as done once the table shows its snapshot', async () => {
      await lake.catalog.createTable(lake.namespace, eventsTable('lost_answer'));
      // The commit reaches the catalog and is applied, but the client sees a gateway error.
      const flaky = new RestCatalog({
        uri: lake.url,
        token: ACME_TOKEN,
        warehouse: 'warehouse',
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          return init?.method === 'POST' && String(input).endsWith('/tables/lost_answer')
            ? new Response('bad gateway', { status: 502 })
            : response;
        },
      });
      const flakyWriter = new IcebergWriter({ catalog: flaky });
      const result = await flakyWriter.append(lake.table('lost_answer'), {
        batches: [eventBatch(eventRows(1, 5))],
      });
      expect(result?.attempts).toBe(1);
      const snapshots = (await lake.catalog.loadTable(lake.table('lost_answer'))).metadata.snapshots ?? [];
      expect(snapshots.map((s) => BigInt(s['snapshot-id']))).toEqual([result?.snapshotId]);
      expect(await sql(`SELECT count(*)::INT AS n FROM ${duckTable('lost_answer')}`)).toEqual([{ n: 5 }]);

      // When the catalog never applied it, the error says the outcome is unknown and no retry happens.
      const dropping = new RestCatalog({
        uri: lake.url,
        token: ACME_TOKEN,
        warehouse: 'warehouse',
        fetch: async (input, init) =>
          init?.method === 'POST' && String(input).endsWith('/tables/lost_answer')
            ? new Response('bad gateway', { status: 502 })
            : fetch(input, init),
      });
      const droppingWriter = new IcebergWriter({ catalog: dropping });
      const failed = await droppingWriter
        .append(lake.table('lost_answer'), { batches: [eventBatch(eventRows(6, 5))] })
        .catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(CatalogError);
      expect((failed as CatalogError).code).toBe(CatalogErrorCode.CommitStateUnknown);
      expect((await lake.catalog.loadTable(lake.table('lost_answer'))).metadata.snapshots ?? []).toHaveLength(
        1,
      );
      await Promise.all([flakyWriter.close(), droppingWriter.close()]);
    });
  });
});

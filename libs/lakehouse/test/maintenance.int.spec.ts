import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompactionConflictError,
  IcebergWriter,
  liveDataFiles,
  mainSnapshot,
  RestCatalog,
  readManifestList,
  type TableIdentifier,
  TableMaintenance,
} from '../src/index.ts';
import { ReachableFiles } from '../src/maintenance/reachable-files.ts';
import { eventBatch, eventRows, eventsTable } from './factories.ts';
import {
  ACME_TOKEN,
  duckdbReader,
  type PyIcebergRead,
  pyiceberg,
  type RunningCatalog,
  readWithPyIceberg,
  startCatalog,
  testStore,
} from './lakehouse-env.ts';

describe(TableMaintenance.name, () => {
  let lake: RunningCatalog;
  let writer: IcebergWriter;
  let maintenance: TableMaintenance;
  let reader: Awaited<ReturnType<typeof duckdbReader>>;
  let table: TableIdentifier;
  const store = testStore();
  const env = () => ({ CATALOG_URI: lake.url, CATALOG_TOKEN: ACME_TOKEN });
  const readPy = () => readWithPyIceberg(lake, table.name);
  const duckRows = async () =>
    (
      await reader.connection.runAndReadAll(
        `SELECT id::INT AS id, site, reading, epoch_us(observed_at)::VARCHAR AS t FROM lake."${lake.namespace.join('.')}".${table.name} ORDER BY id`,
      )
    ).getRowObjectsJson();
  // PyIceberg's rows in the shape duckRows reads them, so the two readers can be compared whole.
  const asDuckRows = (py: PyIcebergRead) =>
    py.rows.map((r) => ({
      id: r.id,
      site: r.site,
      reading: r.reading,
      t: String(Date.parse(r.observed_at.replace(' ', 'T')) * 1000),
    }));
  const headManifests = async () => {
    const loaded = await lake.catalog.loadTable(table);
    const head = mainSnapshot(loaded.metadata);
    return head ? readManifestList(store, head) : [];
  };
  const expectOneHeadManifest = async (counts: Record<string, number>) => {
    const manifests = await headManifests();
    expect(manifests).toHaveLength(1);
    expect(manifests[0]).toMatchObject(counts);
  };
  /** Maintenance whose first commit request waits for `race` to commit first. */
  const racedMaintenance = (race: () => Promise<unknown>) => {
    const state = { raced: false };
    const catalog = new RestCatalog({
      uri: lake.url,
      token: ACME_TOKEN,
      warehouse: 'warehouse',
      fetch: async (input, init) => {
        if (init?.method === 'POST' && String(input).endsWith(`/tables/${table.name}`) && !state.raced) {
          state.raced = true;
          await race();
        }
        return fetch(input, init);
      },
    });
    return { maintenance: new TableMaintenance({ catalog }), state };
  };
  const liveFiles = async () => {
    const loaded = await lake.catalog.loadTable(table);
    return liveDataFiles(store, mainSnapshot(loaded.metadata));
  };
  const exists = async (path: string) =>
    store.read(path).then(
      () => true,
      () => false,
    );
  let rowsBefore: unknown[];

  beforeAll(async () => {
    lake = await startCatalog();
    writer = new IcebergWriter({ catalog: lake.catalog });
    maintenance = new TableMaintenance({ catalog: lake.catalog });
    reader = await duckdbReader(lake.url);
    table = lake.table('streamed');
    await lake.catalog.createTable(lake.namespace, eventsTable(table.name, { partitioned: true }));
    // Streaming ingestion: many small appends, each touching both days; one of them by PyIceberg.
    for (let i = 0; i < 5; i++)
      await writer.append(
        table,
        { batches: [eventBatch(eventRows(i * 20 + 1, 20, 2))] },
        {
          summary: { 'kafka.offsets': `{"0":${i * 20 + 19}}` },
        },
      );
    await pyiceberg('append_rows.py', [lake.namespace.join('.'), table.name, '101', '20'], env());
    await writer.append(
      table,
      { batches: [eventBatch(eventRows(121, 20, 2))] },
      {
        summary: { 'kafka.offsets': '{"0":139}' },
      },
    );
    rowsBefore = await duckRows();
  }, 300_000);

  afterAll(async () => {
    reader?.close();
    await writer?.close();
    await maintenance?.close();
    store.destroy();
    await lake?.close();
  });

  describe('compact', () => {
    it('merges the small files of each partition into one, rows unchanged, offsets carried forward', async () => {
      expect(rowsBefore).toHaveLength(140);
      const before = await liveFiles();
      expect(before).toHaveLength(14);
      // Each append left a manifest of its own, and a scan opens every one of them.
      expect(await headManifests()).toHaveLength(7);
      // Another writer commits while the compaction is about to: its rows must survive the replace.
      const racing = racedMaintenance(() =>
        writer.append(
          table,
          { batches: [eventBatch(eventRows(141, 10, 1))] },
          {
            summary: { 'kafka.offsets': '{"0":149}' },
          },
        ),
      );
      const result = await racing.maintenance.compact(table, { targetFileBytes: 64 * 1024 * 1024 });
      await racing.maintenance.close();

      expect(racing.state.raced).toBe(true);
      expect(result.snapshot?.attempts).toBe(2);
      expect(result.rewrittenFiles).toHaveLength(14);
      expect(result.addedFiles).toHaveLength(2);
      const after = await liveFiles();
      // Two compacted files plus the racing append's file, which compaction did not plan for.
      expect(after).toHaveLength(3);
      expect(result.snapshot?.summary).toMatchObject({
        operation: 'replace',
        'deleted-data-files': '14',
        'added-data-files': '2',
        'deleted-records': '140',
        'added-records': '140',
        'total-records': '150',
        'kafka.offsets': '{"0":149}',
        // The seven appends' manifests and the racing append's, merged into one.
        'manifests-replaced': '8',
        'manifests-created': '1',
      });
      await expectOneHeadManifest({
        added_files_count: 2,
        existing_files_count: 1,
        deleted_files_count: 14,
      });
      const rows = await duckRows();
      expect(rows.slice(0, 140)).toEqual(rowsBefore);
      expect(rows).toHaveLength(150);
      const py = await readPy();
      expect(py.rows.map((r) => r.id)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
      expect(asDuckRows(py)).toEqual(rows);
      expect(py.summary).toMatchObject({ operation: 'replace', 'kafka.offsets': '{"0":149}' });
      expect(py.files).toHaveLength(3);
    });

    it('leaves a table alone when no partition has two small files', async () => {
      const result = await maintenance.compact(table, {
        targetFileBytes: 64 * 1024 * 1024,
        minInputFiles: 3,
      });
      expect(result.snapshot).toBeUndefined();
      expect((await liveFiles()).length).toBe(3);
    });
  });

  describe('expireSnapshots', () => {
    it('removes old snapshots beyond the last ones kept, and the files only they referenced', async () => {
      const loaded = await lake.catalog.loadTable(table);
      const snapshots = loaded.metadata.snapshots ?? [];
      expect(snapshots).toHaveLength(9);
      const newest = snapshots.reduce((max, s) => Math.max(max, s['timestamp-ms']), 0);

      const nothing = await maintenance.expireSnapshots(table, {
        olderThan: new Date(newest - 3_600_000),
        retainLast: 1,
      });
      expect(nothing.expiredSnapshotIds).toEqual([]);

      // Keeping the last two keeps the racing append, which still reads the 14 small files.
      const kept = await maintenance.expireSnapshots(table, {
        olderThan: new Date(newest + 1),
        retainLast: 2,
      });
      expect(kept.expiredSnapshotIds).toHaveLength(7);
      expect(kept.deletedFiles.filter((p) => p.endsWith('.parquet'))).toEqual([]);
      expect(kept.deletedFiles).toHaveLength(7);
      const remainingTwo = (await lake.catalog.loadTable(table)).metadata.snapshots ?? [];
      expect(remainingTwo.map((s) => s.summary.operation)).toEqual(['append', 'replace']);

      const result = await maintenance.expireSnapshots(table, {
        olderThan: new Date(newest + 1),
        retainLast: 1,
      });
      expect(result.expiredSnapshotIds).toHaveLength(1);
      const latest = await lake.catalog.loadTable(table);
      expect((latest.metadata.snapshots ?? []).map((s) => s.summary.operation)).toEqual(['replace']);
      const reachableAfter = await new ReachableFiles(store).ofTable(latest, { liveOnly: true });
      // Now no snapshot reads the 14 small files: they go, with the manifests that listed them.
      expect(result.deletedFiles.filter((p) => p.endsWith('.parquet'))).toHaveLength(14);
      expect(result.deletedFiles.filter((p) => p.endsWith('-m0.avro')).length).toBeGreaterThan(0);
      for (const path of [...kept.deletedFiles, ...result.deletedFiles]) {
        expect(reachableAfter.has(path)).toBe(false);
        expect(await exists(path)).toBe(false);
      }
      for (const path of reachableAfter) expect(await exists(path), path).toBe(true);
      expect(await duckRows()).toHaveLength(150);
      expect((await readPy()).rows).toHaveLength(150);
    });
  });

  describe('removeOrphanFiles', () => {
    it('deletes unreferenced files older than the cutoff and nothing that is referenced', async () => {
      const loaded = await lake.catalog.loadTable(table);
      const location = loaded.metadata.location;
      const planted = [
        `${location}/data/observed_at_day=2026-11-01/planted.parquet`,
        `${location}/metadata/planted.avro`,
      ];
      const beforePlanting = new Date(Date.now() - 2_000);
      for (const path of planted) await store.create(path, new TextEncoder().encode('not referenced'));

      const tooNew = await maintenance.removeOrphanFiles(table, { olderThan: beforePlanting });
      expect(tooNew.filter((p) => planted.includes(p))).toEqual([]);
      for (const path of planted) expect(await exists(path)).toBe(true);

      const current = await lake.catalog.loadTable(table);
      const reachable = await new ReachableFiles(store).ofTable(current);
      // Files only marked deleted are reachable but may already be gone (expire removed them).
      const read = await new ReachableFiles(store).ofTable(current, { liveOnly: true });
      const dryRun = await maintenance.removeOrphanFiles(table, {
        olderThan: new Date(Date.now() + 2_000),
        dryRun: true,
      });
      expect(dryRun).toEqual(expect.arrayContaining(planted));
      for (const path of planted) expect(await exists(path)).toBe(true);

      const removed = await maintenance.removeOrphanFiles(table, { olderThan: new Date(Date.now() + 2_000) });
      expect(removed).toEqual(dryRun);
      expect(removed.filter((p) => reachable.has(p))).toEqual([]);
      for (const path of planted) expect(await exists(path)).toBe(false);
      for (const path of read) expect(await exists(path), path).toBe(true);
      expect(await duckRows()).toHaveLength(150);
      expect((await readPy()).rows).toHaveLength(150);
    });
  });

  describe('rewriteManifests', () => {
    it('merges the manifests of small appends into one, rows unchanged, offsets carried forward', async () => {
      for (let i = 0; i < 3; i++)
        await writer.append(
          table,
          { batches: [eventBatch(eventRows(151 + i * 10, 10, 1))] },
          { summary: { 'kafka.offsets': `{"0":${159 + i * 10}}` } },
        );
      expect(await headManifests()).toHaveLength(4);
      const files = (await liveFiles()).map((f) => f.entry.data_file.file_path).sort();
      const rows = await duckRows();
      expect(rows).toHaveLength(180);

      const result = await maintenance.rewriteManifests(table);

      expect(result).toMatchObject({ replacedManifests: 4, addedManifests: 1 });
      expect(result.snapshot?.summary).toMatchObject({
        operation: 'replace',
        'added-data-files': '0',
        'total-records': '180',
        'total-data-files': '6',
        'kafka.offsets': '{"0":179}',
        'manifests-replaced': '4',
        'manifests-created': '1',
      });
      await expectOneHeadManifest({
        added_files_count: 0,
        existing_files_count: 6,
        deleted_files_count: 0,
      });
      expect((await liveFiles()).map((f) => f.entry.data_file.file_path).sort()).toEqual(files);
      expect(await duckRows()).toEqual(rows);
      const py = await readPy();
      expect(asDuckRows(py)).toEqual(rows);
      expect(py.files).toHaveLength(6);
    });

    it('leaves a table whose head already reads one manifest alone', async () => {
      const head = mainSnapshot((await lake.catalog.loadTable(table)).metadata);
      const result = await maintenance.rewriteManifests(table);
      expect(result).toEqual({ replacedManifests: 0, addedManifests: 0 });
      expect(mainSnapshot((await lake.catalog.loadTable(table)).metadata)).toEqual(head);
    });
  });

  describe('compact against another compaction', () => {
    it('stops with CompactionConflictError and deletes its own files when its inputs were replaced first', async () => {
      const rows = await duckRows();
      const losing = racedMaintenance(() =>
        maintenance.compact(table, { targetFileBytes: 64 * 1024 * 1024 }),
      );
      const lost = await losing.maintenance
        .compact(table, { targetFileBytes: 64 * 1024 * 1024 })
        .catch((e: unknown) => e);
      await losing.maintenance.close();

      expect(losing.state.raced).toBe(true);
      expect(lost).toBeInstanceOf(CompactionConflictError);
      // The winner's snapshot: one file per day, in one manifest.
      expect(await liveFiles()).toHaveLength(2);
      expect(await headManifests()).toHaveLength(1);
      // Every data file left under the table is one some snapshot references: the loser's are gone.
      const orphans = await maintenance.removeOrphanFiles(table, {
        olderThan: new Date(Date.now() + 2_000),
        dryRun: true,
      });
      expect(orphans.filter((p) => p.endsWith('.parquet'))).toEqual([]);
      expect(await duckRows()).toEqual(rows);
      expect(asDuckRows(await readPy())).toEqual(rows);
    });
  });
});

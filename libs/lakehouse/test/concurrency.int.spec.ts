import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcebergWriter } from '../src/index.ts';
import { eventBatch, eventRows, eventsTable } from './factories.ts';
import { duckdbReader, type RunningCatalog, startCatalog } from './lakehouse-env.ts';

const WRITERS = 4;
const APPENDS = 5;
const ROWS = 10;

describe('concurrent appenders', () => {
  let lake: RunningCatalog;
  let reader: Awaited<ReturnType<typeof duckdbReader>>;
  const sql = async (query: string) => (await reader.connection.runAndReadAll(query)).getRowObjectsJson();

  beforeAll(async () => {
    lake = await startCatalog();
    reader = await duckdbReader(lake.url);
  }, 120_000);

  afterAll(async () => {
    reader?.close();
    await lake?.close();
  });

  it(`${WRITERS} writers × ${APPENDS} appends land every row exactly once, one snapshot per append`, async () => {
    await lake.catalog.createTable(lake.namespace, eventsTable('contended', { partitioned: true }));
    const writers = Array.from({ length: WRITERS }, () => new IcebergWriter({ catalog: lake.catalog }));
    const results = await Promise.all(
      writers.map(async (writer, w) => {
        const mine = [];
        for (let a = 0; a < APPENDS; a++) {
          const first = (w * APPENDS + a) * ROWS + 1;
          mine.push(
            await writer.append(
              lake.table('contended'),
              { batches: [eventBatch(eventRows(first, ROWS, 2))] },
              {
                summary: { 'writer.offset': `${w}:${a}` },
              },
            ),
          );
        }
        return mine;
      }),
    );
    await Promise.all(writers.map((w) => w.close()));
    const committed = results.flat();
    // The writers really raced: some commits lost at least once and were retried on top.
    expect(committed.some((r) => (r?.attempts ?? 0) > 1)).toBe(true);

    const total = WRITERS * APPENDS * ROWS;
    const table = `lake."${lake.namespace.join('.')}".contended`;
    expect(
      await sql(
        `SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids, sum(id)::BIGINT AS s FROM ${table}`,
      ),
    ).toEqual([{ n: total, ids: total, s: String((total * (total + 1)) / 2) }]);

    const loaded = await lake.catalog.loadTable(lake.table('contended'));
    const snapshots = loaded.metadata.snapshots ?? [];
    expect(snapshots).toHaveLength(WRITERS * APPENDS);
    expect(new Set(snapshots.map((s) => s.summary['writer.offset'])).size).toBe(WRITERS * APPENDS);
    // One linear history: every snapshot but the first has its predecessor as parent.
    const parents = new Set(snapshots.map((s) => String(s['parent-snapshot-id'] ?? 'none')));
    expect(parents.size).toBe(WRITERS * APPENDS);
    const head = snapshots.find(
      (s) => BigInt(s['snapshot-id']) === BigInt(loaded.metadata['current-snapshot-id'] ?? -1),
    );
    expect(head?.summary['total-records']).toBe(String(total));
  });
});

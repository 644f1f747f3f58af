import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { AssetEvent } from '@openfoundry/bus-registry';
import { describe, expect, it } from 'vitest';
import { assetEvent, sinkRecords } from '../../test/factories.ts';
import { ASSET_EVENT_COLUMNS, assetEventQuery, assetTableRequest } from './asset-table.ts';
import { StagedEvents } from './staged-events.ts';

describe('asset table', () => {
  it('declares the columns with field ids, partitioned by day(source_time), metadata cleaned up', () => {
    const request = assetTableRequest('asset_events', { metadataVersionsMax: 7 });
    expect(request.schema.fields.map((f) => f.name)).toEqual(ASSET_EVENT_COLUMNS);
    expect(request.schema.fields.map((f) => f.id)).toEqual(ASSET_EVENT_COLUMNS.map((_, i) => i + 1));
    const sourceTime = request.schema.fields.find((f) => f.name === 'source_time');
    expect(sourceTime).toMatchObject({ type: 'timestamptz', required: true });
    expect(request['partition-spec']?.fields).toEqual([
      { 'source-id': sourceTime?.id, name: 'source_time_day', transform: 'day' },
    ]);
    expect(request.properties).toMatchObject({
      'write.metadata.delete-after-commit.enabled': 'true',
      'write.metadata.previous-versions-max': '7',
    });
  });

  it('stages one line per record, the value as it arrived between its partition and offset', () => {
    const records = sinkRecords(4, 17, [assetEvent('acme', 'a', 1)]);
    const lines = StagedEvents.of(records).lines.toString('utf8');
    expect(lines).toBe(`{"p":4,"o":17,"e":${Buffer.from(records[0]?.bytes ?? []).toString('utf8')}}\n`);
    expect(JSON.parse(lines)).toEqual({ p: 4, o: 17, e: records[0]?.event });
  });

  it('reads every type, null and non-ASCII text back from the staged lines as the event said', async () => {
    const values: AssetEvent['value'][] = [
      { type: 'double', value: -0.25 },
      { type: 'double', value: 20 },
      { type: 'long', value: 9_007_199_254_740_991 },
      { type: 'long', value: -9_007_199_254_740_991 },
      { type: 'boolean', value: true },
      { type: 'boolean', value: false },
      { type: 'string', value: 'Überdruck — 圧力 ✓ "quoted" \\ and\nnewline' },
      { type: 'string', value: '' },
      { type: 'json', value: { a: [1, 'x', 1.5, true, null], 'k"ey': 'ü\n' } },
      { type: 'json', value: 'text' },
      { type: 'json', value: null },
      { type: 'null', value: null },
    ];
    const events = Array.from({ length: 37 }, (_, i) =>
      assetEvent(i % 3 ? 'acme' : 'bêta', `asset-${i % 5}`, i, {
        value: values[i % values.length] as AssetEvent['value'],
        ...(i % 4 === 0 ? { unit: undefined, sequence: undefined } : {}),
        ...(i % 6 === 0 ? { commandId: '01890000-0000-7000-8000-000000000001' } : {}),
        ...(i % 7 === 0 ? { sourceTime: '2026-11-23T12:00:00.123456+02:00' } : {}),
        ...(i % 9 === 0 ? { sourceTime: '2026-11-23T10:00:00.5Z' } : {}),
      }),
    );
    // A field the table has no column for (a newer writer's) is ignored.
    const records = sinkRecords(3, 1_000, events).map((r, i) =>
      i === 5 ? { ...r, bytes: Buffer.from(JSON.stringify({ ...r.event, addedLater: { x: 1 } })) } : r,
    );
    const dir = await mkdtemp(join(tmpdir(), 'asset-table-spec-'));
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const file = join(dir, 'events.ndjson');
      await writeFile(file, StagedEvents.of(records).lines);
      const rows = (
        await connection.runAndReadAll(
          `SELECT * REPLACE (epoch_us(source_time) AS source_time, epoch_us(ingest_time) AS ingest_time) FROM (${assetEventQuery(file)})`,
        )
      ).getRowObjectsJS();
      expect(rows.map((r) => Object.keys(r))).toEqual(rows.map(() => ASSET_EVENT_COLUMNS));
      expect(rows).toHaveLength(events.length);
      for (const [i, row] of rows.entries()) {
        const e = events[i] as AssetEvent;
        const v = e.value;
        expect({
          ...row,
          value_json: row.value_json === null ? null : JSON.parse(String(row.value_json)),
        }).toEqual({
          event_id: e.eventId,
          tenant: e.tenant,
          asset_id: e.assetId,
          kind: e.kind,
          attribute: e.attribute,
          value_type: v.type,
          value_double: v.type === 'double' ? v.value : null,
          value_long: v.type === 'long' ? BigInt(v.value) : null,
          value_bool: v.type === 'boolean' ? v.value : null,
          value_string: v.type === 'string' ? v.value : null,
          // The same JSON value (DuckDB may spell a number differently, e.g. 1e21 for 1e+21).
          value_json: v.type === 'json' ? (v.value ?? null) : null,
          unit: e.unit ?? null,
          quality: e.quality,
          source_time: micros(e.sourceTime),
          ingest_time: micros(e.ingestTime),
          sequence: e.sequence === undefined ? null : BigInt(e.sequence),
          source_protocol: e.source.protocol,
          source_replica: e.source.replica,
          source_device: e.source.device,
          command_id: e.commandId ?? null,
          kafka_partition: 3,
          kafka_offset: BigInt(1_000 + i),
        });
      }
      // A JSON null stays the text `null`, distinguishable from "not a json value".
      expect(rows.filter((r) => r.value_type === 'json' && r.value_json === 'null').length).toBeGreaterThan(
        0,
      );
    } finally {
      connection.closeSync();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** An RFC 3339 time as microseconds since the epoch, keeping sub-millisecond digits. */
function micros(iso: string): bigint {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const subMillis = BigInt(`${fraction.slice(3)}000`.slice(0, 3));
  return BigInt(Date.parse(iso)) * 1000n + subMillis;
}

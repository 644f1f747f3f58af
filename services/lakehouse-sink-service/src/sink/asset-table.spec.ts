import type { AssetEvent } from '@openfoundry/bus-registry';
import { Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { assetEvent, sinkRecords } from '../../test/factories.ts';
import { ASSET_EVENT_COLUMNS, assetEventBatch, assetTableRequest, isoToMicros } from './asset-table.ts';

describe('asset table', () => {
  it('keeps sub-millisecond digits and offsets of RFC 3339 times', () => {
    expect(isoToMicros('2026-11-23T10:00:00.123456Z')).toBe(
      BigInt(Date.UTC(2026, 10, 23, 10)) * 1000n + 123_456n,
    );
    expect(isoToMicros('2026-11-23T12:00:00+02:00')).toBe(BigInt(Date.UTC(2026, 10, 23, 10)) * 1000n);
    expect(isoToMicros('2026-11-23T10:00:00.5Z')).toBe(BigInt(Date.UTC(2026, 10, 23, 10)) * 1000n + 500_000n);
    expect(() => isoToMicros('yesterday')).toThrow(RangeError);
  });

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

  it('builds one Arrow row per record with the value in the column of its type', () => {
    const records = sinkRecords(4, 17, [
      assetEvent('acme', 'a', 1),
      assetEvent('acme', 'a', 2, { value: { type: 'long', value: 42 }, sequence: undefined }),
    ]);
    const batch = assetEventBatch(records);
    expect(batch.numRows).toBe(2);
    expect(batch.schema.fields.map((f) => f.name)).toEqual(ASSET_EVENT_COLUMNS);
    expect(batch.getChild('value_double')?.get(0)).toBe(1.5);
    expect(batch.getChild('value_long')?.get(1)).toBe(42n);
    expect(batch.getChild('value_long')?.get(0)).toBeNull();
    expect(batch.getChild('sequence')?.get(1)).toBeNull();
    expect(batch.getChild('kafka_offset')?.get(1)).toBe(18n);
    expect(batch.getChild('kafka_partition')?.get(0)).toBe(4);
  });

  it('writes every type, null and non-ASCII text so that Arrow reads back each row as the event said', () => {
    const values: AssetEvent['value'][] = [
      { type: 'double', value: -0.25 },
      { type: 'long', value: 9_007_199_254_740_991 },
      { type: 'boolean', value: true },
      { type: 'boolean', value: false },
      { type: 'string', value: 'Überdruck — 圧力 ✓' },
      { type: 'string', value: '' },
      { type: 'json', value: { a: [1, 'x'] } },
      { type: 'json', value: null },
      { type: 'null', value: null },
    ];
    const events = Array.from({ length: 37 }, (_, i) =>
      assetEvent(i % 3 ? 'acme' : 'bêta', `asset-${i % 5}`, i, {
        value: values[i % values.length] as AssetEvent['value'],
        ...(i % 4 === 0 ? { unit: undefined, sequence: undefined } : {}),
        ...(i % 6 === 0 ? { commandId: '01890000-0000-7000-8000-000000000001' } : {}),
        ...(i % 7 === 0 ? { sourceTime: '2026-11-23T12:00:00.123456+02:00' } : {}),
      }),
    );
    const records = sinkRecords(3, 1_000, events);
    // Through Arrow IPC, as the writer hands it on: the buffers must be well formed.
    const table = tableFromIPC(tableToIPC(new Table(assetEventBatch(records))));
    expect(table.numRows).toBe(events.length);
    const column = (name: string) => table.getChild(name)?.toArray() as unknown as ArrayLike<unknown>;
    const rows = events.map((e, i) => ({
      event_id: column('event_id')[i],
      tenant: column('tenant')[i],
      asset_id: column('asset_id')[i],
      value: [
        table.getChild('value_double')?.get(i),
        table.getChild('value_long')?.get(i),
        table.getChild('value_bool')?.get(i),
        table.getChild('value_string')?.get(i),
        table.getChild('value_json')?.get(i),
      ],
      unit: table.getChild('unit')?.get(i),
      sequence: table.getChild('sequence')?.get(i),
      command_id: table.getChild('command_id')?.get(i),
      source_time: table.getChild('source_time')?.get(i),
      offset: table.getChild('kafka_offset')?.get(i),
      expected: e,
    }));
    for (const [i, row] of rows.entries()) {
      const e = row.expected;
      const v = e.value;
      expect({ ...row, expected: undefined }).toEqual({
        event_id: e.eventId,
        tenant: e.tenant,
        asset_id: e.assetId,
        value: [
          v.type === 'double' ? v.value : null,
          v.type === 'long' ? BigInt(v.value) : null,
          v.type === 'boolean' ? v.value : null,
          v.type === 'string' ? v.value : null,
          v.type === 'json' ? JSON.stringify(v.value) : null,
        ],
        unit: e.unit ?? null,
        sequence: e.sequence === undefined ? null : BigInt(e.sequence),
        command_id: e.commandId ?? null,
        source_time:
          Number(isoToMicros(e.sourceTime) / 1000n) + Number(isoToMicros(e.sourceTime) % 1000n) / 1000,
        offset: BigInt(1_000 + i),
        expected: undefined,
      });
    }
  });
});

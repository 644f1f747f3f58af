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
});

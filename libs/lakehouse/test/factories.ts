import {
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { CreateTableRequest } from '../src/index.ts';

export const DAY_MS = 86_400_000;
export const START = Date.UTC(2026, 10, 1);

/** An `events` table: id, site, reading, observed_at; partitioned by day(observed_at) when asked. */
export function eventsTable(name: string, options: { partitioned?: boolean } = {}): CreateTableRequest {
  return {
    name,
    schema: {
      type: 'struct',
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'site', required: false, type: 'string' },
        { id: 3, name: 'reading', required: false, type: 'double' },
        { id: 4, name: 'observed_at', required: false, type: 'timestamptz' },
      ],
    },
    ...(options.partitioned
      ? {
          'partition-spec': {
            fields: [{ 'source-id': 4, name: 'observed_at_day', transform: 'day' }],
          },
        }
      : {}),
    properties: { 'format-version': '2' },
  };
}

export interface EventRow {
  id: number;
  site: string | null;
  reading: number | null;
  observedAt: number;
}

/** Rows with ids from `first`, spread over `days` days, every seventh site null. */
export function eventRows(first: number, count: number, days = 1): EventRow[] {
  return Array.from({ length: count }, (_, i) => {
    const id = first + i;
    return {
      id,
      site: id % 7 === 0 ? null : (['north', 'south', 'east'][id % 3] as string),
      reading: id * 1.5,
      observedAt: START + (i % days) * DAY_MS + id * 1000,
    };
  });
}

export function eventBatch(rows: readonly EventRow[]): RecordBatch {
  const fields = [
    new Field('id', new Int64(), false),
    new Field('site', new Utf8(), true),
    new Field('reading', new Float64(), true),
    new Field('observed_at', new TimestampMicrosecond('UTC'), true),
  ];
  const length = rows.length;
  const children = [
    makeData({
      type: new Int64(),
      length,
      nullCount: 0,
      data: BigInt64Array.from(rows, (r) => BigInt(r.id)),
    }),
    vectorFromArray(
      rows.map((r) => r.site),
      new Utf8(),
    ).data[0],
    vectorFromArray(
      rows.map((r) => r.reading),
      new Float64(),
    ).data[0],
    makeData({
      type: new TimestampMicrosecond('UTC'),
      length,
      nullCount: 0,
      data: BigInt64Array.from(rows, (r) => BigInt(r.observedAt) * 1000n),
    }),
  ];
  return new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length, nullCount: 0, children: children as never }),
  );
}

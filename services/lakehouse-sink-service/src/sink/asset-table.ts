import type { CreateTableRequest, TableIdentifier } from '@openfoundry/lakehouse';
import {
  Bool,
  type Data,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import type { SinkRecord } from './sink-buffer.ts';

/** Where a tenant's asset events land: `<tenant>.<namespace>.<table>`. */
export function assetTable(tenant: string, namespace: string, name: string): TableIdentifier {
  return { namespace: [tenant, namespace], name };
}

interface Column {
  name: string;
  iceberg: string;
  required: boolean;
  arrow: DataType;
  value: (record: SinkRecord) => unknown;
}

const text = (value: string | undefined) => value ?? null;

/** The table's columns, in field-id order; one definition serves the Iceberg schema and the Arrow batch. */
const COLUMNS: Column[] = [
  { name: 'event_id', iceberg: 'string', required: true, arrow: new Utf8(), value: (r) => r.event.eventId },
  { name: 'tenant', iceberg: 'string', required: true, arrow: new Utf8(), value: (r) => r.event.tenant },
  { name: 'asset_id', iceberg: 'string', required: true, arrow: new Utf8(), value: (r) => r.event.assetId },
  { name: 'kind', iceberg: 'string', required: true, arrow: new Utf8(), value: (r) => r.event.kind },
  {
    name: 'attribute',
    iceberg: 'string',
    required: true,
    arrow: new Utf8(),
    value: (r) => r.event.attribute,
  },
  {
    name: 'value_type',
    iceberg: 'string',
    required: true,
    arrow: new Utf8(),
    value: (r) => r.event.value.type,
  },
  {
    name: 'value_double',
    iceberg: 'double',
    required: false,
    arrow: new Float64(),
    value: (r) => (r.event.value.type === 'double' ? r.event.value.value : null),
  },
  {
    name: 'value_long',
    iceberg: 'long',
    required: false,
    arrow: new Int64(),
    value: (r) => (r.event.value.type === 'long' ? BigInt(r.event.value.value) : null),
  },
  {
    name: 'value_bool',
    iceberg: 'boolean',
    required: false,
    arrow: new Bool(),
    value: (r) => (r.event.value.type === 'boolean' ? r.event.value.value : null),
  },
  {
    name: 'value_string',
    iceberg: 'string',
    required: false,
    arrow: new Utf8(),
    value: (r) => (r.event.value.type === 'string' ? r.event.value.value : null),
  },
  {
    name: 'value_json',
    iceberg: 'string',
    required: false,
    arrow: new Utf8(),
    // A JSON value that is itself null stays distinguishable from "not a json value": the text `null`.
    value: (r) => (r.event.value.type === 'json' ? JSON.stringify(r.event.value.value ?? null) : null),
  },
  { name: 'unit', iceberg: 'string', required: false, arrow: new Utf8(), value: (r) => text(r.event.unit) },
  { name: 'quality', iceberg: 'string', required: true, arrow: new Utf8(), value: (r) => r.event.quality },
  {
    name: 'source_time',
    iceberg: 'timestamptz',
    required: true,
    arrow: new TimestampMicrosecond('UTC'),
    value: (r) => isoToMicros(r.event.sourceTime),
  },
  {
    name: 'ingest_time',
    iceberg: 'timestamptz',
    required: true,
    arrow: new TimestampMicrosecond('UTC'),
    value: (r) => isoToMicros(r.event.ingestTime),
  },
  {
    name: 'sequence',
    iceberg: 'long',
    required: false,
    arrow: new Int64(),
    value: (r) => (r.event.sequence === undefined ? null : BigInt(r.event.sequence)),
  },
  {
    name: 'source_protocol',
    iceberg: 'string',
    required: true,
    arrow: new Utf8(),
    value: (r) => r.event.source.protocol,
  },
  {
    name: 'source_replica',
    iceberg: 'string',
    required: true,
    arrow: new Utf8(),
    value: (r) => r.event.source.replica,
  },
  {
    name: 'source_device',
    iceberg: 'string',
    required: true,
    arrow: new Utf8(),
    value: (r) => r.event.source.device,
  },
  {
    name: 'command_id',
    iceberg: 'string',
    required: false,
    arrow: new Utf8(),
    value: (r) => text(r.event.commandId),
  },
  { name: 'kafka_partition', iceberg: 'int', required: true, arrow: new Int32(), value: (r) => r.partition },
  { name: 'kafka_offset', iceberg: 'long', required: true, arrow: new Int64(), value: (r) => r.offset },
];

export const ASSET_EVENT_COLUMNS = COLUMNS.map((c) => c.name);

/** The create request of a tenant's asset-events table: partitioned by day(source_time). */
export function assetTableRequest(
  name: string,
  options: { metadataVersionsMax: number },
): CreateTableRequest {
  const sourceTimeId = COLUMNS.findIndex((c) => c.name === 'source_time') + 1;
  return {
    name,
    schema: {
      type: 'struct',
      fields: COLUMNS.map((c, i) => ({ id: i + 1, name: c.name, required: c.required, type: c.iceberg })),
    },
    'partition-spec': {
      fields: [{ 'source-id': sourceTimeId, name: 'source_time_day', transform: 'day' }],
    },
    properties: {
      'format-version': '2',
      'write.metadata.delete-after-commit.enabled': 'true',
      'write.metadata.previous-versions-max': String(options.metadataVersionsMax),
    },
  };
}

/**
 * The records as one Arrow batch in the table's column layout. Columns are written straight into
 * their buffers (Arrow's generic builders cost about 15 µs per row here, most of it encoding each
 * string on its own); strings that repeat within a column — tenants, assets, attributes, kinds —
 * are encoded once per batch.
 */
export function assetEventBatch(records: readonly SinkRecord[]): RecordBatch {
  const fields = COLUMNS.map((c) => new Field(c.name, c.arrow, !c.required));
  const length = records.length;
  const children = COLUMNS.map((column) => columnData(column, records));
  return new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length, nullCount: 0, children: children as never }),
  );
}

function columnData(column: Column, records: readonly SinkRecord[]): Data {
  const length = records.length;
  const validity = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  const present = (i: number, value: unknown): boolean => {
    if (value === null || value === undefined) {
      nulls += 1;
      return false;
    }
    validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
    return true;
  };
  const type = column.arrow;
  const finish = (parts: Record<string, unknown>) =>
    makeData({
      type,
      length,
      nullCount: nulls,
      ...(nulls > 0 ? { nullBitmap: validity } : {}),
      ...parts,
    } as never);
  if (type instanceof Utf8) {
    const texts = new Array<string | null>(length);
    const encoded = new Map<string, number>();
    let bytes = 0;
    for (let i = 0; i < length; i++) {
      const value = column.value(records[i] as SinkRecord) as string | null | undefined;
      if (!present(i, value)) {
        texts[i] = null;
        continue;
      }
      const text = value as string;
      texts[i] = text;
      let size = encoded.get(text);
      if (size === undefined) {
        size = Buffer.byteLength(text, 'utf8');
        encoded.set(text, size);
      }
      bytes += size;
    }
    const valueOffsets = new Int32Array(length + 1);
    const data = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (let i = 0; i < length; i++) {
      const text = texts[i];
      if (text !== null && text !== undefined) at += data.write(text, at, 'utf8');
      valueOffsets[i + 1] = at;
    }
    return finish({ valueOffsets, data: new Uint8Array(data.buffer, data.byteOffset, data.length) });
  }
  if (type instanceof Bool) {
    const data = new Uint8Array((length + 7) >> 3);
    for (let i = 0; i < length; i++) {
      const value = column.value(records[i] as SinkRecord);
      if (present(i, value) && value) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
    }
    return finish({ data });
  }
  const data =
    type instanceof Float64
      ? new Float64Array(length)
      : type instanceof Int32
        ? new Int32Array(length)
        : new BigInt64Array(length);
  for (let i = 0; i < length; i++) {
    const value = column.value(records[i] as SinkRecord);
    if (present(i, value)) data[i] = value as never;
  }
  return finish({ data });
}

/** An RFC 3339 time with offset as microseconds since the epoch, keeping sub-millisecond digits. */
export function isoToMicros(iso: string): bigint {
  // The connector's own form (toISOString): milliseconds, UTC.
  if (iso.length === 24 && iso.charCodeAt(23) === 90 /* Z */ && iso.charCodeAt(19) === 46 /* . */) {
    const millis = Date.parse(iso);
    if (!Number.isNaN(millis)) return BigInt(millis) * 1000n;
  }
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const millis = Date.parse(iso.replace(/\.\d+/, ''));
  if (Number.isNaN(millis)) throw new RangeError(`not an RFC 3339 time: ${iso}`);
  return BigInt(millis) * 1000n + BigInt(fraction.slice(0, 6).padEnd(6, '0'));
}

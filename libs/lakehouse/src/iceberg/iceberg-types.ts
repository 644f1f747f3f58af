import { quotedIdentifier, quotedString } from '@duckdb/node-api';
import type { AvroSchema } from '../avro/avro-schema.ts';
import type { IcebergType, NestedField } from './table-metadata.ts';

/** How Iceberg types map to DuckDB, to Avro (partition values) and to the spec's single-value binary form. */

export class UnsupportedTypeError extends Error {
  override readonly name = 'UnsupportedTypeError';
}

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

const DUCKDB_PRIMITIVES: Record<string, string> = {
  boolean: 'BOOLEAN',
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  date: 'DATE',
  time: 'TIME',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  string: 'VARCHAR',
  uuid: 'UUID',
  binary: 'BLOB',
};

export function duckdbType(type: IcebergType): string {
  if (typeof type === 'string') {
    const primitive = DUCKDB_PRIMITIVES[type];
    if (primitive) return primitive;
    const decimal = DECIMAL.exec(type);
    if (decimal) return `DECIMAL(${decimal[1]}, ${decimal[2]})`;
    throw new UnsupportedTypeError(`the Iceberg type ${type} cannot be written yet`);
  }
  switch (type.type) {
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${quotedIdentifier(f.name)} ${duckdbType(f.type)}`).join(', ')})`;
    case 'list':
      return `${duckdbType(type.element)}[]`;
    case 'map':
      return `MAP(${duckdbType(type.key)}, ${duckdbType(type.value)})`;
  }
}

/**
 * DuckDB's `FIELD_IDS` option for a Parquet COPY: Iceberg readers resolve columns by field id,
 * PyIceberg refuses files without them.
 */
export function parquetFieldIds(fields: readonly NestedField[]): string {
  return `{${fields.map((f) => `${quotedString(f.name)}: ${nestedIds(f.id, f.type)}`).join(', ')}}`;
}

function nestedIds(id: number, type: IcebergType): string {
  if (typeof type === 'string') return String(id);
  const children: [string, number, IcebergType][] =
    type.type === 'struct'
      ? type.fields.map((f) => [f.name, f.id, f.type])
      : type.type === 'list'
        ? [['element', type['element-id'], type.element]]
        : [
            ['key', type['key-id'], type.key],
            ['value', type['value-id'], type.value],
          ];
  return `{'__duckdb_field_id': ${id}, ${children.map(([name, childId, child]) => `${quotedString(name)}: ${nestedIds(childId, child)}`).join(', ')}}`;
}

export function avroType(type: IcebergType): AvroSchema {
  switch (type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return type;
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'uuid':
      return { type: 'fixed', name: 'uuid_fixed', size: 16, logicalType: 'uuid' };
  }
  throw new UnsupportedTypeError(`a partition value of type ${JSON.stringify(type)} is not supported yet`);
}

const text = new TextEncoder();

/**
 * The spec's single-value serialization, for bounds and partition summaries. Values are in the
 * representation this library reads from DuckDB: days for dates, microseconds for times and
 * timestamps, unscaled bigints for decimals, hex strings for uuids.
 */
export function toBinary(type: IcebergType, value: unknown): Uint8Array {
  const fixed = (size: number, write: (view: DataView) => void) => {
    const bytes = new Uint8Array(size);
    write(new DataView(bytes.buffer));
    return bytes;
  };
  switch (type) {
    case 'boolean':
      return new Uint8Array([value ? 1 : 0]);
    case 'int':
    case 'date':
      return fixed(4, (v) => v.setInt32(0, Number(value), true));
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return fixed(8, (v) => v.setBigInt64(0, BigInt(value as number | bigint), true));
    case 'float':
      return fixed(4, (v) => v.setFloat32(0, Number(value), true));
    case 'double':
      return fixed(8, (v) => v.setFloat64(0, Number(value), true));
    case 'string':
      return text.encode(String(value));
    case 'binary':
      return value as Uint8Array;
    case 'uuid':
      return Uint8Array.from(Buffer.from(String(value).replace(/-/g, ''), 'hex'));
  }
  if (typeof type === 'string' && DECIMAL.test(type)) return twosComplement(BigInt(value as bigint));
  throw new UnsupportedTypeError(`no binary form for ${JSON.stringify(type)}`);
}

/** Big-endian two's complement in the fewest bytes that hold the value. */
function twosComplement(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const byte = Number(BigInt.asUintN(8, rest));
    bytes.unshift(byte);
    rest >>= 8n;
    if ((rest === 0n && !(byte & 0x80)) || (rest === -1n && byte & 0x80)) return Uint8Array.from(bytes);
  }
}

export function isPrimitive(type: IcebergType): type is string {
  return typeof type === 'string';
}

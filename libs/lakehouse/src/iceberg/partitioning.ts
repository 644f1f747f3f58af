import { quotedIdentifier } from '@duckdb/node-api';
import { avroType, UnsupportedTypeError } from './iceberg-types.ts';
import type { PartitionFieldType } from './manifest.ts';
import type { IcebergType, PartitionField, PartitionSpec, Schema } from './table-metadata.ts';

/** A partition field resolved against the schema: how DuckDB computes its value and how it is stored. */
export interface PartitionColumn {
  field: PartitionField;
  resultType: IcebergType;
  /** SQL over the source column giving the value in Iceberg's representation (days, microseconds, …). */
  sql: string;
  /** The value as it appears in a data file's directory name. */
  pathValue(value: unknown): string;
}

const TEMPORAL = new Set(['date', 'timestamp', 'timestamptz']);
const TRUNCATE = /^truncate\[(\d+)]$/;
const EPOCH = Date.UTC(1970, 0, 1);
const DAY_MS = 86_400_000;

/** Iceberg's representation of a date or timestamp column (days or microseconds since the epoch). */
export function epochSql(column: string, type: IcebergType): string {
  if (type === 'date') return `(${column} - DATE '1970-01-01')::INTEGER`;
  if (type === 'timestamp' || type === 'timestamptz') return `epoch_us(${column})`;
  return column;
}

export function partitionColumns(spec: PartitionSpec, schema: Schema): PartitionColumn[] {
  return spec.fields.map((field) => {
    const source = schema.fields.find((f) => f.id === field['source-id']);
    if (!source)
      throw new UnsupportedTypeError(`partition field ${field.name} has no top-level source column`);
    const column = quotedIdentifier(source.name);
    const type = source.type;
    const temporal = typeof type === 'string' && TEMPORAL.has(type);
    const transform = field.transform;
    const plain = (value: unknown) => encodeURIComponent(String(value));
    if (transform === 'identity')
      return { field, resultType: type, sql: epochSql(column, type), pathValue: plain };
    if (transform === 'void') return { field, resultType: type, sql: 'NULL', pathValue: () => 'null' };
    if (temporal && transform === 'year')
      return {
        field,
        resultType: 'int',
        sql: `(year(${column}) - 1970)::INTEGER`,
        pathValue: (v) => String(1970 + Number(v)),
      };
    if (temporal && transform === 'month')
      return {
        field,
        resultType: 'int',
        sql: `((year(${column}) - 1970) * 12 + month(${column}) - 1)::INTEGER`,
        pathValue: (v) =>
          `${1970 + Math.floor(Number(v) / 12)}-${String((Number(v) % 12) + 1).padStart(2, '0')}`,
      };
    if (temporal && transform === 'day')
      return {
        field,
        resultType: 'date',
        sql: `(${column}::DATE - DATE '1970-01-01')::INTEGER`,
        pathValue: (v) => new Date(EPOCH + Number(v) * DAY_MS).toISOString().slice(0, 10),
      };
    if ((type === 'timestamp' || type === 'timestamptz') && transform === 'hour')
      return {
        field,
        resultType: 'int',
        sql: `floor(epoch_us(${column}) / 3600000000)::INTEGER`,
        pathValue: (v) => new Date(EPOCH + Number(v) * 3_600_000).toISOString().slice(0, 13),
      };
    const truncate = TRUNCATE.exec(transform);
    if (truncate && (type === 'int' || type === 'long'))
      return {
        field,
        resultType: type,
        sql: `(${column} - (((${column} % ${truncate[1]}) + ${truncate[1]}) % ${truncate[1]}))`,
        pathValue: plain,
      };
    if (truncate && type === 'string')
      return { field, resultType: type, sql: `left(${column}, ${truncate[1]})`, pathValue: plain };
    throw new UnsupportedTypeError(
      `the partition transform ${transform} on ${JSON.stringify(type)} is not supported yet`,
    );
  });
}

export function partitionFieldTypes(columns: readonly PartitionColumn[]): PartitionFieldType[] {
  return columns.map((c) => ({
    name: c.field.name,
    fieldId: c.field['field-id'],
    avro: avroType(c.resultType),
  }));
}

/** `name=value/…`, the directory a partition's data files go to. */
export function partitionPath(columns: readonly PartitionColumn[], values: Record<string, unknown>): string {
  return columns
    .map((c) => {
      const value = values[c.field.name];
      return `${encodeURIComponent(c.field.name)}=${value === null || value === undefined ? 'null' : c.pathValue(value)}`;
    })
    .join('/');
}

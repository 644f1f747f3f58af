import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  type DuckDBType,
  type DuckDBValue,
  FLOAT,
  INTEGER,
  SMALLINT,
  TINYINT,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import { type Data, DataType, type RecordBatch, type Timestamp, TimeUnit, type Vector } from 'apache-arrow';

const MICROS_PER_UNIT: Record<TimeUnit, (raw: bigint) => bigint> = {
  [TimeUnit.SECOND]: (raw) => raw * 1_000_000n,
  [TimeUnit.MILLISECOND]: (raw) => raw * 1_000n,
  [TimeUnit.MICROSECOND]: (raw) => raw,
  [TimeUnit.NANOSECOND]: (raw) => raw / 1_000n,
};

function rawInt64(data: Data, index: number): bigint {
  const values = data.values as BigInt64Array | Int32Array;
  const raw = values[index];
  return typeof raw === 'bigint' ? raw : BigInt(raw as number);
}

/** One Arrow cell as the DuckDB value to bind; temporal values read from raw storage to keep their precision. */
function toDuckDBValue(vector: Vector, index: number): DuckDBValue {
  if (!vector.isValid(index)) return null;
  const type = vector.type as DataType;
  const data = vector.data[0] as Data;
  if (DataType.isTimestamp(type)) {
    const micros = MICROS_PER_UNIT[(type as Timestamp).unit](rawInt64(data, index));
    return (type as Timestamp).timezone
      ? new DuckDBTimestampTZValue(micros)
      : new DuckDBTimestampValue(micros);
  }
  if (DataType.isDate(type)) {
    const value = vector.get(index) as Date | number;
    const ms = value instanceof Date ? value.getTime() : Number(value);
    return new DuckDBDateValue(Math.floor(ms / 86_400_000));
  }
  if (DataType.isTime(type)) {
    const unit = (type as unknown as { unit: TimeUnit }).unit;
    return new DuckDBTimeValue(MICROS_PER_UNIT[unit](rawInt64(data, index)));
  }
  if (DataType.isDecimal(type)) return String(vector.get(index));
  const value = vector.get(index) as unknown;
  if (value instanceof Uint8Array) return new DuckDBBlobValue(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value;
  return value === null || value === undefined ? null : String(value);
}

/** A parameter value with the DuckDB type it was sent as, so binding keeps the client's type. */
export interface TypedParameter {
  value: DuckDBValue;
  type: DuckDBType | undefined;
}

function duckdbTypeOf(type: DataType): DuckDBType | undefined {
  if (DataType.isInt(type)) {
    const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
    const signed: Record<number, DuckDBType> = { 8: TINYINT, 16: SMALLINT, 32: INTEGER, 64: BIGINT };
    const unsigned: Record<number, DuckDBType> = { 8: UTINYINT, 16: USMALLINT, 32: UINTEGER, 64: UBIGINT };
    return (isSigned ? signed : unsigned)[bitWidth];
  }
  if (DataType.isFloat(type))
    return (type as unknown as { precision: number }).precision === 1 ? FLOAT : DOUBLE;
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return VARCHAR;
  if (DataType.isBool(type)) return BOOLEAN;
  return undefined;
}

/** The rows of a bound parameter batch (DoPut of a prepared statement), as typed DuckDB values. */
export function parameterRows(batch: RecordBatch): TypedParameter[][] {
  const columns = batch.schema.fields.map((_, i) => batch.getChildAt(i) as Vector);
  const types = batch.schema.fields.map((field) => duckdbTypeOf(field.type));
  const rows: TypedParameter[][] = [];
  for (let r = 0; r < batch.numRows; r++)
    rows.push(columns.map((column, c) => ({ value: toDuckDBValue(column, r), type: types[c] })));
  return rows;
}

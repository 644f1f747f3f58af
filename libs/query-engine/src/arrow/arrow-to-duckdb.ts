import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  type DuckDBValue,
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

/** The rows of a bound parameter batch (DoPut of a prepared statement), as DuckDB values. */
export function parameterRows(batch: RecordBatch): DuckDBValue[][] {
  const columns = batch.schema.fields.map((_, i) => batch.getChildAt(i) as Vector);
  const rows: DuckDBValue[][] = [];
  for (let r = 0; r < batch.numRows; r++) rows.push(columns.map((column) => toDuckDBValue(column, r)));
  return rows;
}

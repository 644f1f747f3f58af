import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { Data, DataType, RecordBatch } from 'apache-arrow';
import { type CellReader, codecFor } from './arrow-columns.ts';

/** A parameter value with the DuckDB type it was sent as, so binding keeps the client's type. */
export interface TypedParameter {
  value: DuckDBValue;
  type: DuckDBType | undefined;
}

/**
 * The rows of a bound parameter batch (DoPut of a prepared statement), as typed DuckDB values
 * read from the raw Arrow buffers (instants and decimals keep their precision).
 */
export function parameterRows(batch: RecordBatch): TypedParameter[][] {
  const columns = batch.schema.fields.map((field, c) => {
    const codec = codecFor(field.type as DataType, field.name || `parameter ${c + 1}`);
    const data = batch.data.children[c] as Data;
    return { type: codec.duckdbType, data, read: codec.bind(data) as CellReader };
  });
  const rows: TypedParameter[][] = [];
  for (let r = 0; r < batch.numRows; r++)
    rows.push(columns.map(({ type, data, read }) => ({ value: data.getValid(r) ? read(r) : null, type })));
  return rows;
}

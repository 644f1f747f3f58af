import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DuckDBDecimalType, type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';

/** How `native/column-reader.c` copies a column: its `kind` and source byte `width`. */
export interface NativeLayout {
  kind: NativeKind;
  width: number;
}

export enum NativeKind {
  Fixed = 0,
  Decimal = 1,
  Bool = 2,
  String = 3,
}

export interface ColumnReader {
  appendColumn(
    chunk: unknown,
    column: number,
    kind: NativeKind,
    width: number,
    rows: number,
    data: Uint8Array,
    used: number,
    offsets: Int32Array | null,
    validity: Uint8Array,
    result: Float64Array,
  ): boolean;
}

const FIXED_WIDTH: Partial<Record<DuckDBTypeId, number>> = {
  [DuckDBTypeId.TINYINT]: 1,
  [DuckDBTypeId.SMALLINT]: 2,
  [DuckDBTypeId.INTEGER]: 4,
  [DuckDBTypeId.BIGINT]: 8,
  [DuckDBTypeId.UTINYINT]: 1,
  [DuckDBTypeId.USMALLINT]: 2,
  [DuckDBTypeId.UINTEGER]: 4,
  [DuckDBTypeId.UBIGINT]: 8,
  [DuckDBTypeId.FLOAT]: 4,
  [DuckDBTypeId.DOUBLE]: 8,
  [DuckDBTypeId.DATE]: 4,
  [DuckDBTypeId.TIME]: 8,
  [DuckDBTypeId.TIME_NS]: 8,
  [DuckDBTypeId.TIMESTAMP]: 8,
  [DuckDBTypeId.TIMESTAMP_TZ]: 8,
  [DuckDBTypeId.TIMESTAMP_S]: 8,
  [DuckDBTypeId.TIMESTAMP_MS]: 8,
  [DuckDBTypeId.TIMESTAMP_NS]: 8,
};

/** DuckDB stores DECIMAL(w, s) in 2, 4, 8 or 16 bytes by width. */
function decimalStorage(width: number): number {
  return width <= 4 ? 2 : width <= 9 ? 4 : width <= 18 ? 8 : 16;
}

/**
 * The native copy for a DuckDB type whose storage maps to its Arrow type byte for byte (or by
 * sign extension, bit packing or string gathering); undefined for types converted in JavaScript.
 */
export function nativeLayout(type: DuckDBType): NativeLayout | undefined {
  const fixed = FIXED_WIDTH[type.typeId];
  if (fixed !== undefined) return { kind: NativeKind.Fixed, width: fixed };
  switch (type.typeId) {
    case DuckDBTypeId.DECIMAL:
      return { kind: NativeKind.Decimal, width: decimalStorage((type as DuckDBDecimalType).width) };
    case DuckDBTypeId.HUGEINT:
      return { kind: NativeKind.Decimal, width: 16 };
    case DuckDBTypeId.BOOLEAN:
      return { kind: NativeKind.Bool, width: 1 };
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BLOB:
      return { kind: NativeKind.String, width: 16 };
    default:
      return undefined;
  }
}

function load(): ColumnReader | undefined {
  if (process.env.OPENFOUNDRY_SQL_NATIVE_COLUMNS === 'off') return undefined;
  // dist/native/ of this package, whether running from src/arrow or dist/src/arrow.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const file = join(dir, 'dist', 'native', 'column-reader.node');
    if (existsSync(file)) {
      try {
        return createRequire(import.meta.url)(file) as ColumnReader;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The compiled column reader, or undefined when it was not built here (the JavaScript path runs). */
export const columnReader: ColumnReader | undefined = load();

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
  /**
   * Fetches and copies chunks of a DuckDB result (`DuckDBResult.result`) on a worker thread until
   * about `targetBytes` are collected or it ends; null when no rows were left. Every column must
   * have a native layout (`kinds`/`widths` from `nativeLayout`).
   */
  readBatch(
    result: unknown,
    kinds: Int32Array,
    widths: Int32Array,
    targetBytes: number,
    headroom: number,
  ): Promise<NativeBatch | null>;
  /** The error a DuckDB result stopped with, or null: a failed stream otherwise looks finished. */
  resultError(result: unknown): string | null;
}

/** `[offset, length]` of one buffer in a native batch's body. */
export type BodyRegion = [number, number];

/** A record batch's worth of columns read by `readBatch`, laid out as an Arrow IPC body. */
export interface NativeBatch {
  rows: number;
  /** True when the result has no rows after these. */
  end: boolean;
  /** `headroom` free bytes, then the IPC body (`bodyBytes`). */
  body: ArrayBuffer;
  headroom: number;
  bodyBytes: number;
  columns: { nulls: number; validity: BodyRegion; offsets: BodyRegion; data: BodyRegion }[];
}

export type FixedArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Float32Array
  | Float64Array;
export type FixedArrayConstructor = { new (length: number): FixedArray; BYTES_PER_ELEMENT: number };

/** Types whose DuckDB vector storage already is the Arrow buffer (same width, same meaning). */
export const SAME_LAYOUT: Partial<Record<DuckDBTypeId, FixedArrayConstructor>> = {
  [DuckDBTypeId.TINYINT]: Int8Array,
  [DuckDBTypeId.SMALLINT]: Int16Array,
  [DuckDBTypeId.INTEGER]: Int32Array,
  [DuckDBTypeId.BIGINT]: BigInt64Array,
  [DuckDBTypeId.UTINYINT]: Uint8Array,
  [DuckDBTypeId.USMALLINT]: Uint16Array,
  [DuckDBTypeId.UINTEGER]: Uint32Array,
  [DuckDBTypeId.UBIGINT]: BigUint64Array,
  [DuckDBTypeId.FLOAT]: Float32Array,
  [DuckDBTypeId.DOUBLE]: Float64Array,
  [DuckDBTypeId.DATE]: Int32Array,
  [DuckDBTypeId.TIME]: BigInt64Array,
  [DuckDBTypeId.TIMESTAMP]: BigInt64Array,
  [DuckDBTypeId.TIMESTAMP_TZ]: BigInt64Array,
  [DuckDBTypeId.TIMESTAMP_S]: BigInt64Array,
  [DuckDBTypeId.TIMESTAMP_MS]: BigInt64Array,
  [DuckDBTypeId.TIMESTAMP_NS]: BigInt64Array,
};

/** The bytes per value the compiled reader copies as they are: the same layouts, and TIME_NS's int64. */
function fixedWidth(typeId: DuckDBTypeId): number | undefined {
  if (typeId === DuckDBTypeId.TIME_NS) return 8;
  return SAME_LAYOUT[typeId]?.BYTES_PER_ELEMENT;
}

/** DuckDB stores DECIMAL(w, s) in 2, 4, 8 or 16 bytes by width. */
function decimalStorage(width: number): number {
  return width <= 4 ? 2 : width <= 9 ? 4 : width <= 18 ? 8 : 16;
}

/**
 * The native copy for a DuckDB type whose storage maps to its Arrow type byte for byte (or by
 * sign extension, bit packing or string gathering); undefined for types converted in JavaScript.
 */
export function nativeLayout(type: DuckDBType): NativeLayout | undefined {
  const fixed = fixedWidth(type.typeId);
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

import {
  type DuckDBArrayValue,
  type DuckDBBlobValue,
  type DuckDBDataChunk,
  type DuckDBDateValue,
  type DuckDBDecimalType,
  type DuckDBDecimalValue,
  type DuckDBIntervalValue,
  type DuckDBListType,
  type DuckDBListValue,
  type DuckDBMapType,
  type DuckDBMapValue,
  type DuckDBStructType,
  type DuckDBStructValue,
  type DuckDBTimestampMillisecondsValue,
  type DuckDBTimestampNanosecondsValue,
  type DuckDBTimestampSecondsValue,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampValue,
  type DuckDBTimeValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import {
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  IntervalMonthDayNano,
  List,
  Map_,
  makeData,
  Null,
  Schema,
  Struct,
  TimeMicrosecond,
  TimeNanosecond,
  Timestamp,
  TimeUnit,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from 'apache-arrow';
import {
  type ColumnReader,
  columnReader,
  type FixedArray,
  type FixedArrayConstructor,
  NativeKind,
  type NativeLayout,
  nativeLayout,
  SAME_LAYOUT,
} from './native-columns.ts';

/**
 * The Arrow type a DuckDB column travels as. Strings are plain `Utf8` (never views or
 * dictionaries) because the JDBC driver and older pyarrow read nothing else; types Arrow has
 * no match for (UUID, HUGEINT, BIT, JSON, ENUM, TIME WITH TIME ZONE) travel as text.
 */
export function arrowTypeOf(type: DuckDBType): DataType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new Bool();
    case DuckDBTypeId.TINYINT:
      return new Int8();
    case DuckDBTypeId.SMALLINT:
      return new Int16();
    case DuckDBTypeId.INTEGER:
      return new Int32();
    case DuckDBTypeId.BIGINT:
      return new Int64();
    case DuckDBTypeId.UTINYINT:
      return new Uint8();
    case DuckDBTypeId.USMALLINT:
      return new Uint16();
    case DuckDBTypeId.UINTEGER:
      return new Uint32();
    case DuckDBTypeId.UBIGINT:
      return new Uint64();
    case DuckDBTypeId.FLOAT:
      return new Float32();
    case DuckDBTypeId.DOUBLE:
      return new Float64();
    case DuckDBTypeId.DECIMAL: {
      const decimal = type as DuckDBDecimalType;
      return new Decimal(decimal.scale, decimal.width, 128);
    }
    case DuckDBTypeId.HUGEINT:
      // SUM over integers is HUGEINT: clients must see a number, and 38 digits hold every real sum.
      return new Decimal(0, 38, 128);
    case DuckDBTypeId.BLOB:
      return new Binary();
    case DuckDBTypeId.DATE:
      return new DateDay();
    case DuckDBTypeId.TIME:
      return new TimeMicrosecond();
    case DuckDBTypeId.TIME_NS:
      return new TimeNanosecond();
    case DuckDBTypeId.TIMESTAMP:
      return new Timestamp(TimeUnit.MICROSECOND);
    case DuckDBTypeId.TIMESTAMP_S:
      return new Timestamp(TimeUnit.SECOND);
    case DuckDBTypeId.TIMESTAMP_MS:
      return new Timestamp(TimeUnit.MILLISECOND);
    case DuckDBTypeId.TIMESTAMP_NS:
      return new Timestamp(TimeUnit.NANOSECOND);
    case DuckDBTypeId.TIMESTAMP_TZ:
      // Instants travel as UTC; the client renders them in its own zone.
      return new Timestamp(TimeUnit.MICROSECOND, 'UTC');
    case DuckDBTypeId.INTERVAL:
      return new IntervalMonthDayNano();
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return new List(new Field('item', arrowTypeOf((type as DuckDBListType).valueType), true));
    case DuckDBTypeId.STRUCT: {
      const struct = type as DuckDBStructType;
      return new Struct(
        struct.entryNames.map(
          (name, i) => new Field(name, arrowTypeOf(struct.entryTypes[i] as DuckDBType), true),
        ),
      );
    }
    case DuckDBTypeId.MAP: {
      const map = type as DuckDBMapType;
      return new Map_(
        new Field(
          'entries',
          new Struct([
            new Field('key', arrowTypeOf(map.keyType), false),
            new Field('value', arrowTypeOf(map.valueType), true),
          ] as Field[]) as never,
          false,
        ),
      );
    }
    case DuckDBTypeId.SQLNULL:
      return new Null();
    default:
      return new Utf8();
  }
}

export interface ColumnDescription {
  name: string;
  type: DuckDBType;
}

/** DuckDB's name for a type (e.g. `DECIMAL(18,3)`), as drivers show it in column metadata. */
export function duckdbTypeName(type: DuckDBType): string {
  return typeof type.toString === 'function' && type.toString !== Object.prototype.toString
    ? type.toString()
    : 'VARCHAR';
}

/**
 * The Flight SQL column metadata drivers read for result sets (JDBC's getPrecision, getScale and
 * getColumnTypeName come from here, not from the Arrow type).
 */
export function columnMetadata(type: DuckDBType): Map<string, string> {
  const metadata = new Map([['ARROW:FLIGHT:SQL:TYPE_NAME', duckdbTypeName(type).replace(/\(.*$/, '')]]);
  if (type.typeId === DuckDBTypeId.DECIMAL) {
    const decimal = type as DuckDBDecimalType;
    metadata.set('ARROW:FLIGHT:SQL:PRECISION', String(decimal.width));
    metadata.set('ARROW:FLIGHT:SQL:SCALE', String(decimal.scale));
  }
  return metadata;
}

export function arrowSchemaOf(columns: readonly ColumnDescription[]): Schema {
  return new Schema(
    columns.map(
      (column) => new Field(column.name, arrowTypeOf(column.type), true, columnMetadata(column.type)),
    ),
  );
}

function validity(values: readonly DuckDBValue[]): { bitmap: Uint8Array; nullCount: number } {
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) nullCount++;
    else bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  }
  return { bitmap, nullCount };
}

function fixedWidth<A extends { [i: number]: number | bigint }>(
  type: DataType,
  values: readonly DuckDBValue[],
  array: A,
  read: (value: DuckDBValue) => number | bigint,
): Data {
  const { bitmap, nullCount } = validity(values);
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as DuckDBValue;
    if (value !== null) array[i] = read(value);
  }
  return makeData({
    type,
    length: values.length,
    nullCount,
    nullBitmap: nullCount ? bitmap : null,
    data: array,
  } as never);
}

function variableWidth(
  type: DataType,
  values: readonly DuckDBValue[],
  bytesOf: (v: DuckDBValue) => Uint8Array,
) {
  const { bitmap, nullCount } = validity(values);
  const offsets = new Int32Array(values.length + 1);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as DuckDBValue;
    if (value !== null) {
      const bytes = bytesOf(value);
      parts.push(bytes);
      total += bytes.length;
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return makeData({
    type,
    length: values.length,
    nullCount,
    nullBitmap: nullCount ? bitmap : null,
    valueOffsets: offsets,
    data,
  } as never);
}

function flattenLists(values: readonly DuckDBValue[]) {
  const { bitmap, nullCount } = validity(values);
  const offsets = new Int32Array(values.length + 1);
  const items: DuckDBValue[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as DuckDBValue;
    if (value !== null) items.push(...(value as DuckDBListValue | DuckDBArrayValue).items);
    offsets[i + 1] = items.length;
  }
  return { bitmap, nullCount, offsets, items };
}

/** Text columns: one buffer sized up front and written in place, no intermediate byte arrays. */
function utf8Data(type: DataType, values: readonly DuckDBValue[]): Data {
  const { bitmap, nullCount } = validity(values);
  const texts = values.map((v) => (v === null ? '' : typeof v === 'string' ? v : String(v)));
  let total = 0;
  for (const text of texts) total += Buffer.byteLength(text, 'utf8');
  const data = Buffer.allocUnsafeSlow(total);
  const offsets = new Int32Array(values.length + 1);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    at += data.write(texts[i] as string, at, 'utf8');
    offsets[i + 1] = at;
  }
  return makeData({
    type,
    length: values.length,
    nullCount,
    nullBitmap: nullCount ? bitmap : null,
    valueOffsets: offsets,
    data: new Uint8Array(data.buffer, data.byteOffset, total),
  } as never);
}

/** Converts one DuckDB column (any length) to Arrow data of `arrowTypeOf(type)`. */
export function toArrowData(type: DuckDBType, values: readonly DuckDBValue[]): Data {
  const arrowType = arrowTypeOf(type);
  const n = values.length;
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN: {
      const { bitmap, nullCount } = validity(values);
      const bits = new Uint8Array(Math.ceil(n / 8));
      for (let i = 0; i < n; i++)
        if (values[i] === true) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
      return makeData({
        type: arrowType as Bool,
        length: n,
        nullCount,
        nullBitmap: nullCount ? bitmap : null,
        data: bits,
      });
    }
    case DuckDBTypeId.TINYINT:
      return fixedWidth(arrowType, values, new Int8Array(n), (v) => v as number);
    case DuckDBTypeId.SMALLINT:
      return fixedWidth(arrowType, values, new Int16Array(n), (v) => v as number);
    case DuckDBTypeId.INTEGER:
      return fixedWidth(arrowType, values, new Int32Array(n), (v) => v as number);
    case DuckDBTypeId.BIGINT:
      return fixedWidth(arrowType, values, new BigInt64Array(n), (v) => v as bigint);
    case DuckDBTypeId.UTINYINT:
      return fixedWidth(arrowType, values, new Uint8Array(n), (v) => v as number);
    case DuckDBTypeId.USMALLINT:
      return fixedWidth(arrowType, values, new Uint16Array(n), (v) => v as number);
    case DuckDBTypeId.UINTEGER:
      return fixedWidth(arrowType, values, new Uint32Array(n), (v) => v as number);
    case DuckDBTypeId.UBIGINT:
      return fixedWidth(arrowType, values, new BigUint64Array(n), (v) => v as bigint);
    case DuckDBTypeId.FLOAT:
      return fixedWidth(arrowType, values, new Float32Array(n), (v) => v as number);
    case DuckDBTypeId.DOUBLE:
      return fixedWidth(arrowType, values, new Float64Array(n), (v) => v as number);
    case DuckDBTypeId.DATE:
      return fixedWidth(arrowType, values, new Int32Array(n), (v) => (v as DuckDBDateValue).days);
    case DuckDBTypeId.TIME:
      return fixedWidth(arrowType, values, new BigInt64Array(n), (v) => (v as DuckDBTimeValue).micros);
    case DuckDBTypeId.TIME_NS:
      return fixedWidth(
        arrowType,
        values,
        new BigInt64Array(n),
        (v) => (v as unknown as { nanos: bigint }).nanos,
      );
    case DuckDBTypeId.TIMESTAMP:
      return fixedWidth(arrowType, values, new BigInt64Array(n), (v) => (v as DuckDBTimestampValue).micros);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return fixedWidth(arrowType, values, new BigInt64Array(n), (v) => (v as DuckDBTimestampTZValue).micros);
    case DuckDBTypeId.TIMESTAMP_S:
      return fixedWidth(
        arrowType,
        values,
        new BigInt64Array(n),
        (v) => (v as DuckDBTimestampSecondsValue).seconds,
      );
    case DuckDBTypeId.TIMESTAMP_MS:
      return fixedWidth(
        arrowType,
        values,
        new BigInt64Array(n),
        (v) => (v as DuckDBTimestampMillisecondsValue).millis,
      );
    case DuckDBTypeId.TIMESTAMP_NS:
      return fixedWidth(
        arrowType,
        values,
        new BigInt64Array(n),
        (v) => (v as DuckDBTimestampNanosecondsValue).nanos,
      );
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.HUGEINT: {
      const { bitmap, nullCount } = validity(values);
      const words = new BigUint64Array(n * 2);
      for (let i = 0; i < n; i++) {
        const value = values[i] as DuckDBDecimalValue | bigint | null;
        if (value === null) continue;
        const unscaled = BigInt.asUintN(128, typeof value === 'bigint' ? value : value.value);
        words[i * 2] = unscaled & 0xffff_ffff_ffff_ffffn;
        words[i * 2 + 1] = unscaled >> 64n;
      }
      return makeData({
        type: arrowType as Decimal,
        length: n,
        nullCount,
        nullBitmap: nullCount ? bitmap : null,
        data: new Uint32Array(words.buffer),
      });
    }
    case DuckDBTypeId.INTERVAL: {
      const { bitmap, nullCount } = validity(values);
      const buffer = new ArrayBuffer(n * 16);
      const view = new DataView(buffer);
      for (let i = 0; i < n; i++) {
        const value = values[i] as DuckDBIntervalValue | null;
        if (value === null) continue;
        view.setInt32(i * 16, value.months, true);
        view.setInt32(i * 16 + 4, value.days, true);
        view.setBigInt64(i * 16 + 8, value.micros * 1000n, true);
      }
      return makeData({
        type: arrowType as IntervalMonthDayNano,
        length: n,
        nullCount,
        nullBitmap: nullCount ? bitmap : null,
        data: new Int32Array(buffer),
      });
    }
    case DuckDBTypeId.BLOB:
      return variableWidth(arrowType, values, (v) => (v as DuckDBBlobValue).bytes);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const { bitmap, nullCount, offsets, items } = flattenLists(values);
      const child = toArrowData((type as DuckDBListType).valueType, items);
      return makeData({
        type: arrowType as List,
        length: n,
        nullCount,
        nullBitmap: nullCount ? bitmap : null,
        valueOffsets: offsets,
        child,
      });
    }
    case DuckDBTypeId.STRUCT: {
      const struct = type as DuckDBStructType;
      const { bitmap, nullCount } = validity(values);
      const children = struct.entryNames.map((name, index) =>
        toArrowData(
          struct.entryTypes[index] as DuckDBType,
          values.map((v) => (v === null ? null : ((v as DuckDBStructValue).entries[name] ?? null))),
        ),
      );
      return makeData({
        type: arrowType as Struct,
        length: n,
        nullCount,
        nullBitmap: nullCount ? bitmap : null,
        children,
      });
    }
    case DuckDBTypeId.MAP: {
      const map = type as DuckDBMapType;
      const { bitmap, nullCount } = validity(values);
      const offsets = new Int32Array(n + 1);
      const keys: DuckDBValue[] = [];
      const entryValues: DuckDBValue[] = [];
      for (let i = 0; i < n; i++) {
        const value = values[i] as DuckDBMapValue | null;
        if (value !== null)
          for (const entry of value.entries) {
            keys.push(entry.key);
            entryValues.push(entry.value);
          }
        offsets[i + 1] = keys.length;
      }
      const entriesType = (arrowType as Map_).children[0]?.type as Struct;
      const entries = makeData({
        type: entriesType,
        length: keys.length,
        nullCount: 0,
        children: [toArrowData(map.keyType, keys), toArrowData(map.valueType, entryValues)],
      });
      return makeData({
        type: arrowType as Map_,
        length: n,
        nullCount,
        nullBitmap: nullCount ? bitmap : null,
        valueOffsets: offsets,
        child: entries,
      });
    }
    case DuckDBTypeId.SQLNULL:
      return makeData({ type: arrowType as Null, length: n });
    default:
      return utf8Data(arrowType, values);
  }
}

interface RawVector {
  items?: unknown;
  dataView?: unknown;
  validity?: { data?: BigUint64Array | null };
}

/** Types DuckDB stores as 16-byte `string_t` entries: Arrow's Utf8 or Binary, bytes as they are. */
const STRING_LAYOUT = new Set<DuckDBTypeId>([DuckDBTypeId.VARCHAR, DuckDBTypeId.BLOB]);

/** Strings up to this many bytes live inside the 16-byte entry; longer ones behind a pointer. */
const INLINE_STRING_BYTES = 12;

interface TextPiece {
  rows: number;
  /** Offsets into `bytes`, `rows + 1` of them, starting at 0. */
  offsets: Int32Array;
  bytes: Uint8Array;
  valid: Uint8Array | null;
}

/**
 * Two mapped bytes less than a page apart have every byte between them mapped (the pages of
 * both are the same or neighbours), so a span of strings with no larger gap can be read at once.
 */
const SAFE_GAP_BYTES = 4000;

/** An 8-byte cell holding a pointer for `get_data_from_pointer` to follow. */
const pointerCell = new ArrayBuffer(8);
const pointerWords = new Uint32Array(pointerCell);

/** `length` bytes of process memory at `address` (a user-space address fits a double exactly). */
function readMemory(address: number, length: number): Buffer {
  pointerWords[0] = address % 0x1_0000_0000;
  pointerWords[1] = Math.floor(address / 0x1_0000_0000);
  const bytes = duckdb.get_data_from_pointer(pointerCell, 0, length);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Copies a chunk's VARCHAR/BLOB entries straight into Arrow's offsets + bytes layout: inline
 * strings are read from the entry, the others from runs of neighbouring heap memory fetched
 * with one native call per run (DuckDB writes a chunk's strings close together), and no JS
 * string is made.
 */
function readStrings(vector: RawVector, rows: number, valid: Uint8Array | null): TextPiece | undefined {
  const view = vector.dataView;
  if (!(view instanceof DataView) || view.byteLength < rows * 16 || view.byteOffset % 4 !== 0)
    return undefined;
  const entries = Buffer.from(view.buffer, view.byteOffset, rows * 16);
  const words = new Uint32Array(view.buffer, view.byteOffset, rows * 4);
  const lengths = new Uint32Array(rows);
  const addresses = new Float64Array(rows);
  // Runs of heap memory: [start, end) and the rows whose strings lie in each.
  const runStart: number[] = [];
  const runEnd: number[] = [];
  const runOf = new Int32Array(rows).fill(-1);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    if (valid !== null && ((valid[i >> 3] as number) & (1 << (i & 7))) === 0) continue;
    const length = words[i * 4] as number;
    lengths[i] = length;
    total += length;
    if (length <= INLINE_STRING_BYTES) continue;
    const address = (words[i * 4 + 3] as number) * 0x1_0000_0000 + (words[i * 4 + 2] as number);
    addresses[i] = address;
    const end = address + length;
    const last = runStart.length - 1;
    if (
      last >= 0 &&
      address < (runEnd[last] as number) + SAFE_GAP_BYTES &&
      end > (runStart[last] as number) - SAFE_GAP_BYTES
    ) {
      if (address < (runStart[last] as number)) runStart[last] = address;
      if (end > (runEnd[last] as number)) runEnd[last] = end;
    } else {
      runStart.push(address);
      runEnd.push(end);
    }
    runOf[i] = runStart.length - 1;
  }
  const runs = runStart.map((start, r) => readMemory(start, (runEnd[r] as number) - start));
  const bytes = Buffer.allocUnsafe(total);
  const offsets = new Int32Array(rows + 1);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    const length = lengths[i] as number;
    const run = runOf[i] as number;
    if (run < 0) {
      entries.copy(bytes, at, i * 16 + 4, i * 16 + 4 + length);
    } else {
      const from = (addresses[i] as number) - (runStart[run] as number);
      (runs[run] as Buffer).copy(bytes, at, from, from + length);
    }
    at += length;
    offsets[i + 1] = at;
  }
  return { rows, offsets, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, total), valid };
}

/** Concatenates a column's pieces of one batch into a single Arrow Utf8/Binary buffer. */
function joinTextPieces(type: DataType, pieces: readonly TextPiece[]): Data {
  let length = 0;
  let total = 0;
  for (const piece of pieces) {
    length += piece.rows;
    total += piece.bytes.length;
  }
  const offsets = new Int32Array(length + 1);
  const bytes = new Uint8Array(total);
  const { bitmap, nullCount } = joinValidity(pieces, length);
  let row = 0;
  let at = 0;
  for (const piece of pieces) {
    bytes.set(piece.bytes, at);
    for (let i = 1; i <= piece.rows; i++) offsets[row + i] = at + (piece.offsets[i] as number);
    row += piece.rows;
    at += piece.bytes.length;
  }
  return makeData({
    type,
    length,
    nullCount,
    nullBitmap: nullCount ? bitmap : null,
    valueOffsets: offsets,
    data: bytes,
  } as never);
}

/** One validity bitmap (Arrow layout) for consecutive pieces; null when every value is valid. */
function joinValidity(
  pieces: readonly { rows: number; valid: Uint8Array | null }[],
  length: number,
): { bitmap: Uint8Array | null; nullCount: number } {
  if (!pieces.some((p) => p.valid !== null)) return { bitmap: null, nullCount: 0 };
  const bitmap = new Uint8Array(Math.ceil(length / 8));
  let at = 0;
  let nullCount = 0;
  for (const piece of pieces) {
    for (let i = 0; i < piece.rows; i++) {
      const ok = piece.valid === null || ((piece.valid[i >> 3] as number) & (1 << (i & 7))) !== 0;
      if (ok) bitmap[(at + i) >> 3] = (bitmap[(at + i) >> 3] as number) | (1 << ((at + i) & 7));
      else nullCount++;
    }
    at += piece.rows;
  }
  return { bitmap, nullCount };
}

interface Piece {
  rows: number;
  items: FixedArray;
  /** Arrow-layout validity bits of this piece, or null when every value is valid. */
  valid: Uint8Array | null;
}

/**
 * Uninitialised memory for buffers the reader fills completely (values and offsets): no zeroing,
 * and freed memory is reused instead of faulting in fresh pages. Validity stays zeroed.
 */
function uninitialised(bytes: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(bytes);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, bytes);
}

function uninitialisedInt32(length: number): Int32Array {
  const bytes = uninitialised(length * 4);
  return new Int32Array(bytes.buffer, bytes.byteOffset, length);
}

/** Grows `buffer` to at least `size` elements (doubling), keeping its first `keep` elements. */
function grow<T extends Uint8Array | Int32Array>(
  buffer: T,
  size: number,
  keep: number,
  allocate: (length: number) => T,
): T {
  if (buffer.length >= size) return buffer;
  const next = allocate(Math.max(size, buffer.length * 2));
  next.set(buffer.subarray(0, keep));
  return next;
}

const zeroed = (length: number) => new Uint8Array(length);

/** The buffers of one column as the compiled reader fills them (Arrow layout). */
export interface NativeBuffers {
  data: Uint8Array;
  validity: Uint8Array;
  offsets: Int32Array | null;
}

/**
 * An Arrow column over buffers the compiled reader filled, handed over without copying. The
 * validity bitmap is taken as given (it may run on to a padded length).
 */
export function arrowData(
  arrowType: DataType,
  layout: NativeLayout,
  rows: number,
  nulls: number,
  buffers: NativeBuffers,
): Data {
  let values: unknown = buffers.data;
  const ArrayType = (
    arrowType as unknown as {
      ArrayType?: { new (b: ArrayBufferLike, o: number, n: number): unknown; BYTES_PER_ELEMENT: number };
    }
  ).ArrayType;
  // apache-arrow wants the values as the type's own array class (e.g. Int32Array for Int32).
  if (ArrayType && layout.kind !== NativeKind.String && layout.kind !== NativeKind.Bool) {
    const bytes = buffers.data;
    values = new ArrayType(bytes.buffer, bytes.byteOffset, bytes.byteLength / ArrayType.BYTES_PER_ELEMENT);
  }
  return makeData({
    type: arrowType,
    length: rows,
    nullCount: nulls,
    nullBitmap: nulls ? buffers.validity : null,
    ...(buffers.offsets ? { valueOffsets: buffers.offsets.subarray(0, rows + 1) } : {}),
    data: values,
  } as never);
}

/**
 * One column collected by the compiled reader (`native/column-reader.c`): each chunk is copied
 * from DuckDB's memory straight into this batch's Arrow buffers, which are handed over as they
 * are when the batch is cut. The next batch starts with the sizes the last one ended with.
 */
class NativeColumn {
  private readonly result = new Float64Array(3);
  private data: Uint8Array;
  private offsets: Int32Array | null;
  private validity: Uint8Array;
  private rows = 0;
  private used = 0;
  private nulls = 0;

  constructor(
    private readonly reader: ColumnReader,
    private readonly layout: NativeLayout,
    private readonly arrowType: DataType,
    private hintRows = 2048,
    private hintBytes = 0,
  ) {
    this.data = uninitialised(this.dataBytes(hintRows) + hintBytes);
    this.offsets = layout.kind === NativeKind.String ? uninitialisedInt32(hintRows + 1) : null;
    if (this.offsets) this.offsets[0] = 0;
    this.validity = new Uint8Array((hintRows + 7) >> 3);
  }

  private dataBytes(rows: number): number {
    switch (this.layout.kind) {
      case NativeKind.Fixed:
        return rows * this.layout.width;
      case NativeKind.Decimal:
        return rows * 16;
      case NativeKind.Bool:
        return (rows + 7) >> 3;
      default:
        return 0;
    }
  }

  /** One call of the compiled reader; false (nothing written) when `data` is too small. */
  private copy(chunk: unknown, column: number): boolean {
    const { kind, width } = this.layout;
    return this.reader.appendColumn(
      chunk,
      column,
      kind,
      width,
      this.rows,
      this.data,
      this.used,
      this.offsets,
      this.validity,
      this.result,
    );
  }

  append(chunk: unknown, column: number, count: number): number {
    const rows = this.rows + count;
    this.validity = grow(this.validity, (rows + 7) >> 3, (this.rows + 7) >> 3, zeroed);
    if (this.offsets) this.offsets = grow(this.offsets, rows + 1, this.rows + 1, uninitialisedInt32);
    else this.data = grow(this.data, this.dataBytes(rows), this.dataBytes(this.rows), uninitialised);
    const { kind } = this.layout;
    if (!this.copy(chunk, column)) {
      this.data = grow(this.data, this.result[2] as number, this.used, uninitialised);
      if (!this.copy(chunk, column)) throw new Error('native column reader: output buffer still too small');
    }
    const before = this.used;
    this.used = kind === NativeKind.String ? (this.result[0] as number) : this.dataBytes(rows);
    this.nulls += this.result[1] as number;
    this.rows = rows;
    return kind === NativeKind.String ? this.used - before + count * 4 : this.used - before;
  }

  finish(): Data {
    const { rows, used, nulls } = this;
    const data = arrowData(this.arrowType, this.layout, rows, nulls, {
      data: this.data.subarray(0, used),
      validity: this.validity.subarray(0, (rows + 7) >> 3),
      offsets: this.offsets,
    });
    this.hintRows = Math.max(rows, 1);
    this.hintBytes = this.offsets ? used : 0;
    this.data = uninitialised(this.dataBytes(this.hintRows) + this.hintBytes);
    this.offsets = this.offsets ? uninitialisedInt32(this.hintRows + 1) : null;
    if (this.offsets) this.offsets[0] = 0;
    this.validity = new Uint8Array((this.hintRows + 7) >> 3);
    this.rows = 0;
    this.used = 0;
    this.nulls = 0;
    return data;
  }
}

/**
 * Collects one column across DuckDB chunks until a record batch is cut. Fixed-width columns
 * copy DuckDB's storage as it is (its validity mask has Arrow's bit layout), strings and blobs
 * are copied byte for byte into Arrow's layout; everything else goes through DuckDB values and
 * `toArrowData`.
 */
export class ColumnAccumulator {
  readonly type: DuckDBType;
  private readonly fixed: FixedArrayConstructor | undefined;
  private readonly text: boolean;
  /** Array elements per row: 4 for Decimal128 (as 32-bit words), else 1. */
  private readonly stride: number;
  private pieces: Piece[] = [];
  private texts: TextPiece[] = [];
  private values: DuckDBValue[] = [];
  private length = 0;
  private readonly native: NativeColumn | undefined;

  /** `native: false` keeps the JavaScript path even where the compiled reader is available. */
  constructor(type: DuckDBType, options: { native?: boolean } = {}) {
    this.type = type;
    const layout = nativeLayout(type);
    if (layout && columnReader && options.native !== false)
      this.native = new NativeColumn(columnReader, layout, arrowTypeOf(type));
    this.fixed = type.typeId === DuckDBTypeId.DECIMAL ? Uint32Array : SAME_LAYOUT[type.typeId];
    this.text = STRING_LAYOUT.has(type.typeId);
    this.stride = type.typeId === DuckDBTypeId.DECIMAL ? 4 : 1;
  }

  private validBits(vector: RawVector, rows: number): Uint8Array | null {
    const mask = vector.validity?.data;
    return mask ? new Uint8Array(mask.buffer, mask.byteOffset, Math.ceil(rows / 8)).slice() : null;
  }

  /**
   * DuckDB keeps DECIMAL in 2, 4, 8 or 16 bytes by width; Arrow's Decimal128 is 16 bytes,
   * little-endian two's complement, which is DuckDB's 16-byte layout and a sign extension of the rest.
   */
  private decimalWords(vector: RawVector, rows: number): Uint32Array | undefined {
    const view = vector.dataView;
    if (!(view instanceof DataView) || view.byteLength < rows) return undefined;
    const width = view.byteLength / rows;
    const words = new Uint32Array(rows * 4);
    const source = view.buffer.slice(view.byteOffset, view.byteOffset + rows * width);
    if (width === 16) {
      words.set(new Uint32Array(source));
      return words;
    }
    if (width === 8) {
      const pairs = new Int32Array(source);
      for (let i = 0; i < rows; i++) {
        const high = pairs[i * 2 + 1] as number;
        const sign = high < 0 ? 0xffffffff : 0;
        words[i * 4] = pairs[i * 2] as number;
        words[i * 4 + 1] = high;
        words[i * 4 + 2] = sign;
        words[i * 4 + 3] = sign;
      }
      return words;
    }
    const narrow = width === 4 ? new Int32Array(source) : width === 2 ? new Int16Array(source) : undefined;
    if (!narrow) return undefined;
    for (let i = 0; i < rows; i++) {
      const low = narrow[i] as number;
      const sign = low < 0 ? 0xffffffff : 0;
      words[i * 4] = low;
      words[i * 4 + 1] = sign;
      words[i * 4 + 2] = sign;
      words[i * 4 + 3] = sign;
    }
    return words;
  }

  /** Appends a chunk's column; returns roughly how many Arrow bytes it adds. */
  append(chunk: DuckDBDataChunk, column: number): number {
    const rows = chunk.rowCount;
    if (this.native) return this.native.append((chunk as unknown as { chunk: unknown }).chunk, column, rows);
    if (this.fixed || this.text) {
      const vector = chunk.getColumnVector(column) as unknown as RawVector;
      if (this.text) {
        const piece = readStrings(vector, rows, this.validBits(vector, rows));
        if (piece) {
          this.texts.push(piece);
          this.length += rows;
          return piece.bytes.length + rows * 4;
        }
      } else if (this.stride === 4) {
        const words = this.decimalWords(vector, rows);
        if (words) {
          this.pieces.push({ rows, items: words, valid: this.validBits(vector, rows) });
          this.length += rows;
          return rows * 16;
        }
      } else {
        const items = vector.items;
        if (this.fixed && items instanceof this.fixed && items.length >= rows) {
          this.pieces.push({
            rows,
            items: items.slice(0, rows) as FixedArray,
            valid: this.validBits(vector, rows),
          });
          this.length += rows;
          return items.BYTES_PER_ELEMENT * rows;
        }
      }
    }
    // Vector layouts are fixed per type, so a column never mixes both paths.
    if (this.pieces.length > 0 || this.texts.length > 0)
      throw new Error(`column of ${duckdbTypeName(this.type)} changed vector layout`);
    const values = chunk.getColumnValues(column);
    for (const value of values) this.values.push(value);
    this.length += rows;
    return estimateBytes(this.type, values);
  }

  /** The Arrow data of everything appended since the last call. */
  finish(): Data {
    if (this.native) return this.native.finish();
    const length = this.length;
    this.length = 0;
    if (this.texts.length > 0) {
      const data = joinTextPieces(arrowTypeOf(this.type), this.texts);
      this.texts = [];
      return data;
    }
    if (this.pieces.length === 0) {
      const data = toArrowData(this.type, this.values);
      this.values = [];
      return data;
    }
    const items = new (this.fixed as FixedArrayConstructor)(length * this.stride);
    let at = 0;
    for (const piece of this.pieces) {
      (items as unknown as { set(a: FixedArray, o: number): void }).set(piece.items, at * this.stride);
      at += piece.rows;
    }
    const { bitmap, nullCount } = joinValidity(this.pieces, length);
    this.pieces = [];
    return makeData({
      type: arrowTypeOf(this.type),
      length,
      nullCount,
      nullBitmap: nullCount ? bitmap : null,
      data: items,
    } as never);
  }
}

const VARIABLE_WIDTH: Partial<Record<DuckDBTypeId, number>> = {
  [DuckDBTypeId.BOOLEAN]: 1,
  [DuckDBTypeId.DECIMAL]: 16,
  [DuckDBTypeId.HUGEINT]: 16,
  [DuckDBTypeId.INTERVAL]: 16,
  [DuckDBTypeId.SQLNULL]: 0,
};

function estimateBytes(type: DuckDBType, values: readonly DuckDBValue[]): number {
  if (type.typeId === DuckDBTypeId.VARCHAR) {
    let total = values.length * 4;
    for (const value of values) if (typeof value === 'string') total += value.length;
    return total;
  }
  if (type.typeId === DuckDBTypeId.BLOB) {
    let total = values.length * 4;
    for (const value of values) if (value !== null) total += (value as DuckDBBlobValue).bytes.length;
    return total;
  }
  if (
    type.typeId === DuckDBTypeId.LIST ||
    type.typeId === DuckDBTypeId.STRUCT ||
    type.typeId === DuckDBTypeId.MAP
  )
    return values.length * 64;
  return values.length * (VARIABLE_WIDTH[type.typeId] ?? 8);
}

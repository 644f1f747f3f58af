import {
  ARRAY,
  arrayValue,
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  type DuckDBType,
  type DuckDBValue,
  FLOAT,
  INTEGER,
  INTERVAL,
  LIST,
  listValue,
  MAP,
  mapValue,
  SMALLINT,
  STRUCT,
  structValue,
  TIME,
  TIME_NS,
  TIMESTAMP,
  TIMESTAMP_MS,
  TIMESTAMP_NS,
  TIMESTAMP_S,
  TIMESTAMPTZ,
  TINYINT,
  timeNSValue,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import {
  type Data,
  DataType,
  DateUnit,
  type Field,
  IntervalUnit,
  makeVector,
  Precision,
  TimeUnit,
  Type,
} from 'apache-arrow';
import { QueryError, QueryErrorCode } from '../errors.ts';

/** Reads the value at a row of one Arrow column chunk; only called for valid (non-null) rows. */
export type CellReader = (index: number) => DuckDBValue;

/**
 * How one Arrow column lands in DuckDB: the column type to create, and a reader bound to each
 * incoming chunk. Readers work on the raw Arrow buffers so that instants keep their precision and
 * no intermediate JS rows are built.
 */
export interface ColumnCodec {
  readonly duckdbType: DuckDBType;
  bind(data: Data): CellReader;
}

/** A reader that answers null for invalid rows; nested values need it for their children. */
export function nullable(data: Data, read: CellReader): (index: number) => DuckDBValue {
  if (data.nullCount === 0) return read;
  return (index) => (data.getValid(index) ? read(index) : null);
}

const textDecoder = new TextDecoder();

/** Floor division, so instants before 1970 round towards the past like DuckDB does. */
function floorDiv(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return value % divisor < 0n ? quotient - 1n : quotient;
}

const TO_MICROS: Record<TimeUnit, (raw: bigint) => bigint> = {
  [TimeUnit.SECOND]: (raw) => raw * 1_000_000n,
  [TimeUnit.MILLISECOND]: (raw) => raw * 1_000n,
  [TimeUnit.MICROSECOND]: (raw) => raw,
  [TimeUnit.NANOSECOND]: (raw) => floorDiv(raw, 1_000n),
};

type RawArray = ArrayLike<number | bigint>;

function asBigInt(values: RawArray, index: number): bigint {
  const raw = values[index] as number | bigint;
  return typeof raw === 'bigint' ? raw : BigInt(raw);
}

function unsupported(type: DataType, path: string): never {
  throw new QueryError(
    QueryErrorCode.Unimplemented,
    `column ${path}: Arrow type ${String(type)} has no DuckDB counterpart here`,
  );
}

const direct: ColumnCodec['bind'] = (data) => {
  const values = data.values as RawArray;
  return (index) => values[index] as number | bigint;
};

function integerCodec(type: DataType): ColumnCodec {
  const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
  const signed: Record<number, DuckDBType> = { 8: TINYINT, 16: SMALLINT, 32: INTEGER, 64: BIGINT };
  const unsigned: Record<number, DuckDBType> = { 8: UTINYINT, 16: USMALLINT, 32: UINTEGER, 64: UBIGINT };
  return { duckdbType: (isSigned ? signed : unsigned)[bitWidth] as DuckDBType, bind: direct };
}

/** Types not worth reading by hand (views, half floats), through apache-arrow's own getters. */
function viaVector(duckdbType: DuckDBType, wrap: (value: unknown) => DuckDBValue): ColumnCodec {
  return {
    duckdbType,
    bind: (data) => {
      const vector = makeVector(data);
      return (index) => wrap(vector.get(index));
    },
  };
}

function floatCodec(type: DataType): ColumnCodec {
  const { precision } = type as unknown as { precision: Precision };
  if (precision === Precision.HALF) return viaVector(FLOAT, (value) => value as number);
  return { duckdbType: precision === Precision.SINGLE ? FLOAT : DOUBLE, bind: direct };
}

function decimalCodec(type: DataType, path: string): ColumnCodec {
  const { precision, scale, bitWidth } = type as unknown as {
    precision: number;
    scale: number;
    bitWidth: number;
  };
  if (precision > 38) unsupported(type, path);
  const words = bitWidth / 32;
  return {
    duckdbType: DECIMAL(precision, scale),
    bind: (data) => {
      const values = data.values as Uint32Array;
      return (index) => {
        let unscaled = 0n;
        for (let w = words - 1; w >= 0; w--)
          unscaled = (unscaled << 32n) | BigInt(values[index * words + w] as number);
        return new DuckDBDecimalValue(BigInt.asIntN(bitWidth, unscaled), precision, scale);
      };
    },
  };
}

function dateCodec(type: DataType): ColumnCodec {
  const { unit } = type as unknown as { unit: DateUnit };
  return {
    duckdbType: DATE,
    bind: (data) => {
      const values = data.values as RawArray;
      if (unit === DateUnit.DAY) return (index) => new DuckDBDateValue(values[index] as number);
      return (index) => new DuckDBDateValue(Number(floorDiv(asBigInt(values, index), 86_400_000n)));
    },
  };
}

function timeCodec(type: DataType): ColumnCodec {
  const { unit } = type as unknown as { unit: TimeUnit };
  if (unit === TimeUnit.NANOSECOND) {
    return {
      duckdbType: TIME_NS,
      bind: (data) => {
        const values = data.values as RawArray;
        return (index) => timeNSValue(asBigInt(values, index));
      },
    };
  }
  const toMicros = TO_MICROS[unit];
  return {
    duckdbType: TIME,
    bind: (data) => {
      const values = data.values as RawArray;
      return (index) => new DuckDBTimeValue(toMicros(asBigInt(values, index)));
    },
  };
}

/** Zoned Arrow timestamps are instants: TIMESTAMPTZ keeps the instant, whatever the zone name. */
function timestampCodec(type: DataType): ColumnCodec {
  const { unit, timezone } = type as unknown as { unit: TimeUnit; timezone: string | null };
  const bindWith =
    (make: (raw: bigint) => DuckDBValue): ColumnCodec['bind'] =>
    (data) => {
      const values = data.values as BigInt64Array;
      return (index) => make(values[index] as bigint);
    };
  if (timezone) {
    const toMicros = TO_MICROS[unit];
    return { duckdbType: TIMESTAMPTZ, bind: bindWith((raw) => new DuckDBTimestampTZValue(toMicros(raw))) };
  }
  switch (unit) {
    case TimeUnit.SECOND:
      return { duckdbType: TIMESTAMP_S, bind: bindWith((raw) => new DuckDBTimestampSecondsValue(raw)) };
    case TimeUnit.MILLISECOND:
      return { duckdbType: TIMESTAMP_MS, bind: bindWith((raw) => new DuckDBTimestampMillisecondsValue(raw)) };
    case TimeUnit.NANOSECOND:
      return { duckdbType: TIMESTAMP_NS, bind: bindWith((raw) => new DuckDBTimestampNanosecondsValue(raw)) };
    default:
      return { duckdbType: TIMESTAMP, bind: bindWith((raw) => new DuckDBTimestampValue(raw)) };
  }
}

function intervalCodec(type: DataType): ColumnCodec {
  const { unit } = type as unknown as { unit: IntervalUnit };
  return {
    duckdbType: INTERVAL,
    bind: (data) => {
      const values = data.values as Int32Array;
      if (unit === IntervalUnit.YEAR_MONTH)
        return (index) => new DuckDBIntervalValue(values[index] as number, 0, 0n);
      if (unit === IntervalUnit.DAY_TIME)
        return (index) =>
          new DuckDBIntervalValue(
            0,
            values[index * 2] as number,
            BigInt(values[index * 2 + 1] as number) * 1_000n,
          );
      return (index) => {
        const nanos =
          (BigInt(values[index * 4 + 3] as number) << 32n) | BigInt((values[index * 4 + 2] as number) >>> 0);
        return new DuckDBIntervalValue(
          values[index * 4] as number,
          values[index * 4 + 1] as number,
          floorDiv(nanos, 1_000n),
        );
      };
    },
  };
}

function durationCodec(type: DataType): ColumnCodec {
  const toMicros = TO_MICROS[(type as unknown as { unit: TimeUnit }).unit];
  return {
    duckdbType: INTERVAL,
    bind: (data) => {
      const values = data.values as BigInt64Array;
      return (index) => new DuckDBIntervalValue(0, 0, toMicros(values[index] as bigint));
    },
  };
}

/** Utf8 and Binary and their large forms: offsets into one value buffer. */
function variableWidthCodec(duckdbType: DuckDBType, wrap: (bytes: Uint8Array) => DuckDBValue): ColumnCodec {
  return {
    duckdbType,
    bind: (data) => {
      const offsets = data.valueOffsets as RawArray;
      const values = data.values as Uint8Array;
      return (index) => wrap(values.subarray(Number(offsets[index]), Number(offsets[index + 1])));
    },
  };
}

const utf8 = variableWidthCodec(VARCHAR, (bytes) => textDecoder.decode(bytes));
const binary = variableWidthCodec(BLOB, (bytes) => new DuckDBBlobValue(bytes));

const fixedSizeBinary: ColumnCodec = {
  duckdbType: BLOB,
  bind: (data) => {
    const width = (data.type as unknown as { byteWidth: number }).byteWidth;
    const values = data.values as Uint8Array;
    return (index) => new DuckDBBlobValue(values.subarray(index * width, (index + 1) * width));
  },
};

const bool: ColumnCodec = {
  duckdbType: BOOLEAN,
  bind: (data) => {
    const values = data.values as Uint8Array;
    const offset = data.offset;
    return (index) => {
      const bit = offset + index;
      return ((values[bit >> 3] as number) & (1 << (bit & 7))) !== 0;
    };
  },
};

/** A column of Arrow's Null type: DuckDB creates such columns as INTEGER, all rows null. */
const nullColumn: ColumnCodec = { duckdbType: INTEGER, bind: () => () => null };

/** The values of child rows [from, to) of a nested column, nulls included. */
function childValues(child: Data, codec: ColumnCodec) {
  const read = nullable(child, codec.bind(child));
  return (from: number, to: number) => {
    const items: DuckDBValue[] = [];
    for (let i = from; i < to; i++) items.push(read(i));
    return items;
  };
}

function listCodec(type: DataType, path: string): ColumnCodec {
  const item = codecFor((type.children[0] as Field).type, `${path}[]`);
  return {
    duckdbType: LIST(item.duckdbType),
    bind: (data) => {
      const offsets = data.valueOffsets as RawArray;
      const items = childValues(data.children[0] as Data, item);
      return (index) => listValue(items(Number(offsets[index]), Number(offsets[index + 1])));
    },
  };
}

function fixedSizeListCodec(type: DataType, path: string): ColumnCodec {
  const size = (type as unknown as { listSize: number }).listSize;
  const item = codecFor((type.children[0] as Field).type, `${path}[]`);
  return {
    duckdbType: ARRAY(item.duckdbType, size),
    bind: (data) => {
      const items = childValues(data.children[0] as Data, item);
      return (index) => arrayValue(items(index * size, (index + 1) * size));
    },
  };
}

function structCodec(type: DataType, path: string): ColumnCodec {
  const names = type.children.map((field) => field.name);
  const entries = type.children.map((field) => codecFor(field.type, `${path}.${field.name}`));
  return {
    duckdbType: STRUCT(
      Object.fromEntries(names.map((name, i) => [name, (entries[i] as ColumnCodec).duckdbType])),
    ),
    bind: (data) => {
      const readers = entries.map((entry, i) =>
        nullable(data.children[i] as Data, entry.bind(data.children[i] as Data)),
      );
      return (index) =>
        structValue(Object.fromEntries(names.map((name, i) => [name, (readers[i] as CellReader)(index)])));
    },
  };
}

function mapCodec(type: DataType, path: string): ColumnCodec {
  const entry = (type.children[0] as Field).type as DataType;
  const [keyField, valueField] = entry.children as [Field, Field];
  const key = codecFor(keyField.type, `${path}.key`);
  const value = codecFor(valueField.type, `${path}.value`);
  return {
    duckdbType: MAP(key.duckdbType, value.duckdbType),
    bind: (data) => {
      const offsets = data.valueOffsets as RawArray;
      const entries = data.children[0] as Data;
      const keys = nullable(entries.children[0] as Data, key.bind(entries.children[0] as Data));
      const values = nullable(entries.children[1] as Data, value.bind(entries.children[1] as Data));
      return (index) => {
        const pairs = [];
        for (let i = Number(offsets[index]); i < Number(offsets[index + 1]); i++)
          pairs.push({ key: keys(i), value: values(i) });
        return mapValue(pairs);
      };
    },
  };
}

/** Dictionary-encoded columns land as their value type; each row looks its value up. */
function dictionaryCodec(type: DataType, path: string): ColumnCodec {
  const valueCodec = codecFor((type as unknown as { dictionary: DataType }).dictionary, path);
  return {
    duckdbType: valueCodec.duckdbType,
    bind: (data) => {
      const keys = data.values as RawArray;
      const dictionary = data.dictionary?.data ?? [];
      const chunks = dictionary.map((chunk) => ({
        length: chunk.length,
        read: nullable(chunk, valueCodec.bind(chunk)),
      }));
      return (index) => {
        let key = Number(keys[index]);
        for (const chunk of chunks) {
          if (key < chunk.length) return chunk.read(key);
          key -= chunk.length;
        }
        return null;
      };
    },
  };
}

/** The DuckDB column type and value reader for an Arrow type; `path` names the column in errors. */
export function codecFor(type: DataType, path: string): ColumnCodec {
  switch (type.typeId) {
    case Type.Null:
      return nullColumn;
    case Type.Int:
      return integerCodec(type);
    case Type.Float:
      return floatCodec(type);
    case Type.Decimal:
      return decimalCodec(type, path);
    case Type.Bool:
      return bool;
    case Type.Utf8:
    case Type.LargeUtf8:
      return utf8;
    case Type.Utf8View:
      return viaVector(VARCHAR, (value) => value as string);
    case Type.Binary:
    case Type.LargeBinary:
      return binary;
    case Type.BinaryView:
      return viaVector(BLOB, (value) => new DuckDBBlobValue(value as Uint8Array));
    case Type.FixedSizeBinary:
      return fixedSizeBinary;
    case Type.Date:
      return dateCodec(type);
    case Type.Time:
      return timeCodec(type);
    case Type.Timestamp:
      return timestampCodec(type);
    case Type.Interval:
      return intervalCodec(type);
    case Type.Duration:
      return durationCodec(type);
    case Type.List:
    case Type.LargeList:
      return listCodec(type, path);
    case Type.FixedSizeList:
      return fixedSizeListCodec(type, path);
    case Type.Struct:
      return structCodec(type, path);
    case Type.Map:
      return mapCodec(type, path);
    case Type.Dictionary:
      return dictionaryCodec(type, path);
    default:
      return unsupported(type, path);
  }
}

/** Codecs for every field of a schema, by position. */
export function codecsFor(fields: readonly Field[]): ColumnCodec[] {
  return fields.map((field) => codecFor(field.type as DataType, field.name));
}

import {
  Bool,
  type Data,
  DenseUnion,
  Field,
  Int32,
  Int64,
  List,
  Map_,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Uint32,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';

/** The union member a SqlInfo value travels in; the JDBC driver casts by it, so each id has exactly one. */
type SqlInfoValue =
  | { string: string }
  | { bool: boolean }
  | { bigint: bigint }
  | { bitmask: number }
  | { list: string[] }
  | { map: Record<number, number[]> };

const stringList = new List(new Field('item', new Utf8(), true));
const int32List = new List(new Field('item', new Int32(), true));
const int32Map = new Map_(
  new Field(
    'entries',
    new Struct([
      new Field('key', new Int32(), false),
      new Field('value', int32List, true),
    ] as Field[]) as never,
    false,
  ),
);

export const SQL_INFO_VALUE_TYPE = new DenseUnion(
  [0, 1, 2, 3, 4, 5],
  [
    new Field('string_value', new Utf8(), true),
    new Field('bool_value', new Bool(), true),
    new Field('bigint_value', new Int64(), true),
    new Field('int32_bitmask', new Int32(), true),
    new Field('string_list', stringList, true),
    new Field('int32_to_int32_list_map', int32Map, true),
  ],
);

export const SQL_INFO_SCHEMA = new Schema([
  new Field('info_name', new Uint32(), false),
  new Field('value', SQL_INFO_VALUE_TYPE, false),
]);

const KEYWORDS = [
  'ANALYZE',
  'ATTACH',
  'COPY',
  'DESCRIBE',
  'DETACH',
  'EXPLAIN',
  'EXPORT',
  'ILIKE',
  'IMPORT',
  'INSTALL',
  'LIMIT',
  'LOAD',
  'MACRO',
  'OFFSET',
  'PIVOT',
  'PRAGMA',
  'QUALIFY',
  'RETURNING',
  'SUMMARIZE',
  'UNPIVOT',
  'USE',
];
const NUMERIC_FUNCTIONS = [
  'abs',
  'acos',
  'asin',
  'atan',
  'atan2',
  'cbrt',
  'ceil',
  'cos',
  'cot',
  'degrees',
  'exp',
  'floor',
  'ln',
  'log',
  'log10',
  'log2',
  'mod',
  'pi',
  'pow',
  'power',
  'radians',
  'random',
  'round',
  'sign',
  'sin',
  'sqrt',
  'tan',
  'trunc',
];
const STRING_FUNCTIONS = [
  'ascii',
  'chr',
  'concat',
  'contains',
  'left',
  'length',
  'lower',
  'lpad',
  'ltrim',
  'position',
  'regexp_matches',
  'repeat',
  'replace',
  'reverse',
  'right',
  'rpad',
  'rtrim',
  'split_part',
  'strpos',
  'substring',
  'trim',
  'upper',
];
const SYSTEM_FUNCTIONS = ['current_catalog', 'current_database', 'current_schema', 'current_user', 'version'];
const DATETIME_FUNCTIONS = [
  'current_date',
  'current_time',
  'current_timestamp',
  'date_add',
  'date_diff',
  'date_part',
  'date_sub',
  'date_trunc',
  'dayname',
  'epoch',
  'extract',
  'make_date',
  'make_time',
  'make_timestamp',
  'monthname',
  'now',
  'strftime',
  'strptime',
  'to_timestamp',
];

/**
 * Everything this server says about itself, by SqlInfo id. The values are the truth about the
 * DuckDB engine behind it as the edge exposes it: no transactions, no Substrait, cancel supported.
 */
export function sqlInfoValues(serverVersion: string, arrowVersion: string): Map<number, SqlInfoValue> {
  const entries: [number, SqlInfoValue][] = [
    [0, { string: 'OpenFoundry Flight SQL edge' }],
    [1, { string: serverVersion }],
    [2, { string: arrowVersion }],
    [3, { bool: false }],
    [4, { bool: true }],
    [5, { bool: false }],
    [6, { string: '' }],
    [7, { string: '' }],
    [8, { bitmask: 0 }], // SQL_SUPPORTED_TRANSACTION_NONE
    [9, { bool: true }],
    [10, { bool: false }],
    [11, { bool: false }],
    [100, { bitmask: 0 }],
    [101, { bitmask: 0 }],
    [500, { bool: false }],
    [501, { bool: true }],
    [502, { bool: true }],
    [503, { bitmask: 1 }], // CASE_INSENSITIVE
    [504, { string: '"' }],
    [505, { bitmask: 1 }], // DuckDB matches quoted identifiers case-insensitively too
    [506, { bool: true }],
    [507, { bitmask: 3 }], // NULLS_SORTED_AT_END: DuckDB's default is NULLS LAST either way
    [508, { list: KEYWORDS }],
    [509, { list: NUMERIC_FUNCTIONS }],
    [510, { list: STRING_FUNCTIONS }],
    [511, { list: SYSTEM_FUNCTIONS }],
    [512, { list: DATETIME_FUNCTIONS }],
    [513, { string: '\\' }],
    [514, { string: '' }],
    [515, { bool: true }],
    [516, { bool: true }],
    [517, { map: {} }],
    [518, { bool: true }],
    [519, { bool: false }],
    [520, { bool: true }],
    [521, { bool: true }],
    [522, { bitmask: 0b11 }], // UNRELATED and BEYOND_SELECT
    [523, { bool: true }],
    [524, { bool: true }],
    [525, { bitmask: 0b11 }], // MINIMUM and CORE grammar
    [526, { bitmask: 0b1 }], // ANSI92 entry level
    [527, { bool: false }],
    [528, { bitmask: 2 }], // SQL_FULL_OUTER_JOINS
    [529, { string: 'schema' }],
    [530, { string: 'procedure' }],
    [531, { string: 'catalog' }],
    [532, { bool: true }],
    [533, { bitmask: 0b111 }], // schemas in procedure calls, index and privilege definitions
    [534, { bitmask: 0b111 }],
    [535, { bitmask: 0 }],
    [536, { bool: false }],
    [537, { bool: false }],
    [538, { bitmask: 0b1111 }], // comparisons, EXISTS, IN, quantified
    [539, { bool: true }],
    [540, { bitmask: 0b11 }], // UNION and UNION ALL
  ];
  // 541–561: the SQL_MAX_* limits (556 is a flag); 0 means "no limit or unknown" to JDBC.
  for (let id = 541; id <= 561; id++) entries.push([id, id === 556 ? { bool: false } : { bigint: 0n }]);
  entries.push(
    [562, { bigint: 0n }], // SQL_DEFAULT_TRANSACTION_ISOLATION: none (the JDBC driver reads it as a long)
    [563, { bool: false }],
    [564, { bitmask: 0 }],
    [565, { bool: false }],
    [566, { bool: false }],
    [567, { bitmask: 0b10 }], // FORWARD_ONLY result sets
    [568, { bitmask: 0 }],
    [569, { bitmask: 0b10 }], // READ_ONLY concurrency for forward-only results
    [570, { bitmask: 0 }],
    [571, { bitmask: 0 }],
    [572, { bool: true }],
    [573, { bool: false }],
    [574, { bool: false }],
    [575, { bool: false }],
    [576, { bool: false }],
  );
  return new Map(entries.sort((a, b) => a[0] - b[0]));
}

function childData<T extends import('apache-arrow').DataType>(type: T, values: unknown[]): Data<T> {
  return vectorFromArray(values as never[], type).data[0] as Data<T>;
}

/** The GetSqlInfo result: one row per requested id known to the server (every id when none are asked). */
export function sqlInfoBatch(values: Map<number, SqlInfoValue>, requested: readonly number[]): RecordBatch {
  const ids = requested.length ? requested.filter((id) => values.has(id)) : [...values.keys()];
  const typeIds = new Int8Array(ids.length);
  const offsets = new Int32Array(ids.length);
  const members: unknown[][] = [[], [], [], [], [], []];
  ids.forEach((id, row) => {
    const value = values.get(id) as SqlInfoValue;
    const member =
      'string' in value
        ? [0, value.string]
        : 'bool' in value
          ? [1, value.bool]
          : 'bigint' in value
            ? [2, value.bigint]
            : 'bitmask' in value
              ? [3, value.bitmask]
              : 'list' in value
                ? [4, value.list]
                : [5, new Map(Object.entries(value.map).map(([k, v]) => [Number(k), v]))];
    const typeId = member[0] as number;
    typeIds[row] = typeId;
    offsets[row] = (members[typeId] as unknown[]).length;
    (members[typeId] as unknown[]).push(member[1]);
  });
  const children = SQL_INFO_VALUE_TYPE.children.map((field, i) =>
    childData(field.type, members[i] as unknown[]),
  );
  const union = makeData({
    type: SQL_INFO_VALUE_TYPE,
    length: ids.length,
    nullCount: 0,
    typeIds,
    valueOffsets: offsets,
    children,
  });
  const names = childData(new Uint32(), ids);
  return new RecordBatch(
    SQL_INFO_SCHEMA,
    makeData({
      type: new Struct(SQL_INFO_SCHEMA.fields),
      length: ids.length,
      nullCount: 0,
      children: [names, union],
    }),
  );
}

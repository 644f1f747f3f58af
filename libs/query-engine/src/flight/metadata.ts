import {
  Binary,
  Bool,
  type DataType,
  Field,
  Int32,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Uint8,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';

// Result schemas of the Flight SQL metadata commands, exactly as the specification defines them.

const utf8 = (name: string, nullable = true) => new Field(name, new Utf8(), nullable);
const int32 = (name: string, nullable = true) => new Field(name, new Int32(), nullable);
const bool = (name: string, nullable = true) => new Field(name, new Bool(), nullable);

export const CATALOGS_SCHEMA = new Schema([utf8('catalog_name', false)]);

export const DB_SCHEMAS_SCHEMA = new Schema([utf8('catalog_name'), utf8('db_schema_name', false)]);

const TABLES_FIELDS = [
  utf8('catalog_name'),
  utf8('db_schema_name'),
  utf8('table_name', false),
  utf8('table_type', false),
];
export const TABLES_SCHEMA = new Schema(TABLES_FIELDS);
export const TABLES_WITH_SCHEMA_SCHEMA = new Schema([
  ...TABLES_FIELDS,
  new Field('table_schema', new Binary(), false),
]);

export const TABLE_TYPES_SCHEMA = new Schema([utf8('table_type', false)]);

export const PRIMARY_KEYS_SCHEMA = new Schema([
  utf8('catalog_name'),
  utf8('db_schema_name'),
  utf8('table_name', false),
  utf8('column_name', false),
  utf8('key_name'),
  int32('key_sequence', false),
]);

/** Shared by GetImportedKeys, GetExportedKeys and GetCrossReference. */
export const FOREIGN_KEYS_SCHEMA = new Schema([
  utf8('pk_catalog_name'),
  utf8('pk_db_schema_name'),
  utf8('pk_table_name', false),
  utf8('pk_column_name', false),
  utf8('fk_catalog_name'),
  utf8('fk_db_schema_name'),
  utf8('fk_table_name', false),
  utf8('fk_column_name', false),
  int32('key_sequence', false),
  utf8('fk_key_name'),
  utf8('pk_key_name'),
  new Field('update_rule', new Uint8(), false),
  new Field('delete_rule', new Uint8(), false),
]);

export const XDBC_TYPE_INFO_SCHEMA = new Schema([
  utf8('type_name', false),
  int32('data_type', false),
  int32('column_size'),
  utf8('literal_prefix'),
  utf8('literal_suffix'),
  new Field('create_params', new List(new Field('item', new Utf8(), false)), true),
  int32('nullable', false),
  bool('case_sensitive', false),
  int32('searchable', false),
  bool('unsigned_attribute'),
  bool('fixed_prec_scale', false),
  bool('auto_increment'),
  utf8('local_type_name'),
  int32('minimum_scale'),
  int32('maximum_scale'),
  int32('sql_data_type', false),
  int32('datetime_subcode'),
  int32('num_prec_radix'),
  int32('interval_precision'),
]);

/** Builds one batch from rows given as objects keyed by field name. */
export function batchFromRows(schema: Schema, rows: readonly Record<string, unknown>[]): RecordBatch {
  const children = schema.fields.map(
    (field) =>
      vectorFromArray(rows.map((row) => row[field.name] ?? null) as never[], field.type as DataType)
        .data[0] as NonNullable<ReturnType<typeof vectorFromArray>['data'][0]>,
  );
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }),
  );
}

// XdbcDataType values from the specification (JDBC's java.sql.Types numbers).
const XDBC = {
  BIT: -7,
  TINYINT: -6,
  BIGINT: -5,
  VARBINARY: -3,
  DECIMAL: 3,
  INTEGER: 4,
  SMALLINT: 5,
  REAL: 7,
  DOUBLE: 8,
  DATETIME: 9,
  INTERVAL: 10,
  VARCHAR: 12,
  DATE: 91,
  TIME: 92,
  TIMESTAMP: 93,
} as const;

interface XdbcType {
  type_name: string;
  data_type: number;
  column_size: number | null;
  literal_prefix?: string;
  literal_suffix?: string;
  create_params?: string[];
  case_sensitive?: boolean;
  unsigned_attribute?: boolean;
  fixed_prec_scale?: boolean;
  minimum_scale?: number;
  maximum_scale?: number;
  sql_data_type?: number;
  datetime_subcode?: number;
  num_prec_radix?: number;
}

const XDBC_TYPES: XdbcType[] = [
  { type_name: 'BOOLEAN', data_type: XDBC.BIT, column_size: 1 },
  {
    type_name: 'TINYINT',
    data_type: XDBC.TINYINT,
    column_size: 3,
    num_prec_radix: 10,
    unsigned_attribute: false,
  },
  {
    type_name: 'BIGINT',
    data_type: XDBC.BIGINT,
    column_size: 19,
    num_prec_radix: 10,
    unsigned_attribute: false,
  },
  {
    type_name: 'BLOB',
    data_type: XDBC.VARBINARY,
    column_size: null,
    literal_prefix: "'",
    literal_suffix: "'::BLOB",
  },
  {
    type_name: 'DECIMAL',
    data_type: XDBC.DECIMAL,
    column_size: 38,
    create_params: ['precision', 'scale'],
    fixed_prec_scale: true,
    minimum_scale: 0,
    maximum_scale: 38,
    num_prec_radix: 10,
    unsigned_attribute: false,
  },
  {
    type_name: 'INTEGER',
    data_type: XDBC.INTEGER,
    column_size: 10,
    num_prec_radix: 10,
    unsigned_attribute: false,
  },
  {
    type_name: 'SMALLINT',
    data_type: XDBC.SMALLINT,
    column_size: 5,
    num_prec_radix: 10,
    unsigned_attribute: false,
  },
  { type_name: 'FLOAT', data_type: XDBC.REAL, column_size: 24, num_prec_radix: 2, unsigned_attribute: false },
  {
    type_name: 'DOUBLE',
    data_type: XDBC.DOUBLE,
    column_size: 53,
    num_prec_radix: 2,
    unsigned_attribute: false,
  },
  {
    type_name: 'INTERVAL',
    data_type: XDBC.INTERVAL,
    column_size: null,
    literal_prefix: "INTERVAL '",
    literal_suffix: "'",
    sql_data_type: XDBC.INTERVAL,
  },
  {
    type_name: 'VARCHAR',
    data_type: XDBC.VARCHAR,
    column_size: null,
    literal_prefix: "'",
    literal_suffix: "'",
    case_sensitive: true,
  },
  {
    type_name: 'UUID',
    data_type: XDBC.VARCHAR,
    column_size: 36,
    literal_prefix: "'",
    literal_suffix: "'::UUID",
  },
  {
    type_name: 'DATE',
    data_type: XDBC.DATE,
    column_size: 10,
    literal_prefix: "DATE '",
    literal_suffix: "'",
    sql_data_type: XDBC.DATETIME,
    datetime_subcode: 1,
  },
  {
    type_name: 'TIME',
    data_type: XDBC.TIME,
    column_size: 15,
    literal_prefix: "TIME '",
    literal_suffix: "'",
    sql_data_type: XDBC.DATETIME,
    datetime_subcode: 2,
    minimum_scale: 6,
    maximum_scale: 6,
  },
  {
    type_name: 'TIMESTAMP',
    data_type: XDBC.TIMESTAMP,
    column_size: 26,
    literal_prefix: "TIMESTAMP '",
    literal_suffix: "'",
    sql_data_type: XDBC.DATETIME,
    datetime_subcode: 3,
    minimum_scale: 6,
    maximum_scale: 6,
  },
  {
    type_name: 'TIMESTAMP WITH TIME ZONE',
    data_type: XDBC.TIMESTAMP,
    column_size: 32,
    literal_prefix: "TIMESTAMPTZ '",
    literal_suffix: "'",
    sql_data_type: XDBC.DATETIME,
    datetime_subcode: 3,
    minimum_scale: 6,
    maximum_scale: 6,
  },
];

const SEARCHABLE_FULL = 3;
const NULLABLE = 1;

/** GetXdbcTypeInfo rows, ordered by data_type as JDBC's getTypeInfo requires; all types or one. */
export function xdbcTypeInfoRows(dataType?: number): Record<string, unknown>[] {
  return XDBC_TYPES.filter((t) => dataType === undefined || t.data_type === dataType)
    .sort((a, b) => a.data_type - b.data_type)
    .map((t) => ({
      type_name: t.type_name,
      data_type: t.data_type,
      column_size: t.column_size,
      literal_prefix: t.literal_prefix ?? null,
      literal_suffix: t.literal_suffix ?? null,
      create_params: t.create_params ?? null,
      nullable: NULLABLE,
      case_sensitive: t.case_sensitive ?? false,
      searchable: SEARCHABLE_FULL,
      unsigned_attribute: t.unsigned_attribute ?? null,
      fixed_prec_scale: t.fixed_prec_scale ?? false,
      auto_increment: false,
      local_type_name: t.type_name,
      minimum_scale: t.minimum_scale ?? null,
      maximum_scale: t.maximum_scale ?? null,
      sql_data_type: t.sql_data_type ?? t.data_type,
      datetime_subcode: t.datetime_subcode ?? null,
      num_prec_radix: t.num_prec_radix ?? null,
      interval_precision: null,
    }));
}

export const TABLE_TYPES = ['TABLE', 'VIEW', 'LOCAL TEMPORARY'];

import type { CreateTableRequest, TableIdentifier } from '@openfoundry/lakehouse';

/** Where a tenant's asset events land: `<tenant>.<namespace>.<table>`. */
export function assetTable(tenant: string, namespace: string, name: string): TableIdentifier {
  return { namespace: [tenant, namespace], name };
}

interface Column {
  name: string;
  iceberg: string;
  required: boolean;
  /** The column as DuckDB computes it from a staged line (`p`, `o`, and the event `e`). */
  sql: string;
}

/** One value column: the event's value when its type is `type`, else null. */
const valueIf = (type: string, expression: string) =>
  `CASE WHEN e.value.type = '${type}' THEN ${expression} END`;

/** The table's columns, in field-id order; one definition serves the Iceberg schema and the staging query. */
const COLUMNS: Column[] = [
  { name: 'event_id', iceberg: 'string', required: true, sql: 'e.eventId' },
  { name: 'tenant', iceberg: 'string', required: true, sql: 'e.tenant' },
  { name: 'asset_id', iceberg: 'string', required: true, sql: 'e.assetId' },
  { name: 'kind', iceberg: 'string', required: true, sql: 'e.kind' },
  { name: 'attribute', iceberg: 'string', required: true, sql: 'e.attribute' },
  { name: 'value_type', iceberg: 'string', required: true, sql: 'e.value.type' },
  {
    name: 'value_double',
    iceberg: 'double',
    required: false,
    sql: valueIf('double', 'CAST(e.value.value AS DOUBLE)'),
  },
  {
    name: 'value_long',
    iceberg: 'long',
    required: false,
    sql: valueIf('long', 'CAST(e.value.value AS BIGINT)'),
  },
  {
    name: 'value_bool',
    iceberg: 'boolean',
    required: false,
    sql: valueIf('boolean', 'CAST(e.value.value AS BOOLEAN)'),
  },
  {
    name: 'value_string',
    iceberg: 'string',
    required: false,
    sql: valueIf('string', "e.value.value ->> '$'"),
  },
  {
    name: 'value_json',
    iceberg: 'string',
    required: false,
    // A JSON value that is itself null stays distinguishable from "not a json value": the text `null`.
    sql: valueIf('json', "coalesce(CAST(e.value.value AS VARCHAR), 'null')"),
  },
  { name: 'unit', iceberg: 'string', required: false, sql: 'e.unit' },
  { name: 'quality', iceberg: 'string', required: true, sql: 'e.quality' },
  { name: 'source_time', iceberg: 'timestamptz', required: true, sql: 'CAST(e.sourceTime AS TIMESTAMPTZ)' },
  { name: 'ingest_time', iceberg: 'timestamptz', required: true, sql: 'CAST(e.ingestTime AS TIMESTAMPTZ)' },
  { name: 'sequence', iceberg: 'long', required: false, sql: 'e.sequence' },
  { name: 'source_protocol', iceberg: 'string', required: true, sql: 'e.source.protocol' },
  { name: 'source_replica', iceberg: 'string', required: true, sql: 'e.source.replica' },
  { name: 'source_device', iceberg: 'string', required: true, sql: 'e.source.device' },
  { name: 'command_id', iceberg: 'string', required: false, sql: 'e.commandId' },
  { name: 'kafka_partition', iceberg: 'int', required: true, sql: 'p' },
  { name: 'kafka_offset', iceberg: 'long', required: true, sql: 'o' },
];

/**
 * The shape DuckDB reads each staged event with: the fields the columns use, typed; any other
 * field of the event is ignored. The value stays JSON until its type picks the column.
 */
const EVENT_STRUCT =
  'STRUCT(eventId VARCHAR, tenant VARCHAR, assetId VARCHAR, kind VARCHAR, attribute VARCHAR, ' +
  'value STRUCT(type VARCHAR, value JSON), unit VARCHAR, quality VARCHAR, sourceTime VARCHAR, ' +
  'ingestTime VARCHAR, sequence BIGINT, source STRUCT(protocol VARCHAR, replica VARCHAR, device VARCHAR), ' +
  'commandId VARCHAR)';

export const ASSET_EVENT_COLUMNS = COLUMNS.map((c) => c.name);

/** The create request of a tenant's asset-events table: partitioned by day(source_time). */
export function assetTableRequest(
  name: string,
  options: { metadataVersionsMax: number },
): CreateTableRequest {
  const sourceTimeId = COLUMNS.findIndex((c) => c.name === 'source_time') + 1;
  return {
    name,
    schema: {
      type: 'struct',
      fields: COLUMNS.map((c, i) => ({ id: i + 1, name: c.name, required: c.required, type: c.iceberg })),
    },
    'partition-spec': {
      fields: [{ 'source-id': sourceTimeId, name: 'source_time_day', transform: 'day' }],
    },
    properties: {
      'format-version': '2',
      'write.metadata.delete-after-commit.enabled': 'true',
      'write.metadata.previous-versions-max': String(options.metadataVersionsMax),
    },
  };
}

/**
 * The staged lines of `file` (`StagedEvents`) as rows of the table, in its column order. DuckDB
 * parses them natively, which costs a fraction of building the rows in JavaScript.
 */
export function assetEventQuery(file: string): string {
  const path = `'${file.replaceAll("'", "''")}'`;
  const columns = COLUMNS.map((c) => `${c.sql} AS ${c.name}`).join(', ');
  return `SELECT ${columns} FROM read_ndjson(${path}, columns = {p: 'INTEGER', o: 'BIGINT', e: '${EVENT_STRUCT}'})`;
}

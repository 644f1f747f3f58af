import type { ColumnType } from 'kysely';

// pg returns bigint columns as strings and timestamptz as Date; rows are written through the
// projection repository's bulk statements, so only the read shapes matter here.
type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;
type Timestamp = ColumnType<Date, string | Date, string | Date>;

export interface AssetStateTable {
  tenant: string;
  asset_id: string;
  attribute: string;
  kind: string;
  value_type: string;
  value_double: number | null;
  value_long: Int8 | null;
  value_bool: boolean | null;
  value_string: string | null;
  value_json: ColumnType<unknown, string | null, string | null>;
  unit: string | null;
  quality: string;
  source_time: Timestamp;
  ingest_time: Timestamp;
  event_id: string;
  stream_partition: number;
  stream_offset: Int8;
}

export interface AssetAggregatesTable {
  tenant: string;
  asset_id: string;
  attribute: string;
  window_size: string;
  window_start: Timestamp;
  window_end: Timestamp;
  event_count: Int8;
  numeric_count: Int8;
  min_value: number | null;
  max_value: number | null;
  sum_value: number | null;
  avg_value: number | null;
  last_type: string;
  last_value: ColumnType<unknown, string | null, string | null>;
  last_time: Timestamp;
}

export interface ConsumerOffsetsTable {
  topic: string;
  kafka_partition: number;
  next_offset: Int8;
}

export interface StreamingDatabase {
  asset_state: AssetStateTable;
  asset_aggregates: AssetAggregatesTable;
  consumer_offsets: ConsumerOffsetsTable;
}

import type { ColumnType } from 'kysely';

type Int8 = ColumnType<string, string | bigint, string | bigint>;

export interface ForwarderPartitionsTable {
  topic: string;
  partition: number;
  /** The next asset-stream offset to forward (every offset below it has been published to NATS). */
  next_offset: Int8;
  events_forwarded: Int8;
  events_skipped: Int8;
  last_forwarded_at: ColumnType<Date, Date, Date>;
  /** `ingestTime` of the last forwarded event: how far behind the connectors the forwarder runs. */
  last_event_ingest_time: ColumnType<Date | null, Date | null, Date | null>;
  /** The instance that forwarded it last. */
  instance: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface LiveDatabase {
  forwarder_partitions: ForwarderPartitionsTable;
}

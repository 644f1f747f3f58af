import type { ColumnType, Generated } from 'kysely';

export interface CommitsTable {
  id: Generated<string>;
  tenant: string;
  /** `<namespace levels joined by .>.<table>` */
  table_name: string;
  /** Iceberg snapshot ids are 63-bit: kept as numeric text. */
  snapshot_id: string;
  records: number;
  duplicates: number;
  bytes: ColumnType<string, number, never>;
  /** The table's offsets after the commit, partition → next offset (decimal text). */
  offsets: ColumnType<Record<string, string>, string, never>;
  attempts: number;
  duration_ms: number;
  committed_at: ColumnType<Date, never, never>;
}

export interface SinkDatabase {
  commits: CommitsTable;
}

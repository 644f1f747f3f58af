import type { ColumnType } from 'kysely';

export interface NamespacesTable {
  /** The namespace's levels; the first is the owning tenant. */
  levels: string[];
  properties: ColumnType<Record<string, string>, string, string>;
  created_at: ColumnType<Date, never, never>;
}

export interface TablesTable {
  namespace: string[];
  name: string;
  /** `table` or `view`: both share the namespace's names. */
  kind: ColumnType<'table' | 'view', 'table' | 'view' | undefined, never>;
  /** The only mutable pointer of a table; every commit is a compare-and-swap on it. */
  metadata_location: string;
  table_uuid: string;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

export interface CatalogDatabase {
  namespaces: NamespacesTable;
  tables: TablesTable;
}

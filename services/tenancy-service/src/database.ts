import type { ColumnType, Generated } from 'kysely';

export type JsonObject = Record<string, unknown>;

export interface TenantsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  parent_id: string | null;
  // Written as a JSON string, read back parsed by pg.
  settings: ColumnType<JsonObject, string, string>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

export interface TenancyDatabase {
  tenants: TenantsTable;
}

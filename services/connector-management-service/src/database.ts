import type { ColumnType } from 'kysely';

type JsonColumn<T> = ColumnType<T, string, string>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface DevicesTable {
  tenant: string;
  id: string;
  protocol: string;
  spec: JsonColumn<Record<string, unknown>>;
  revision: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DeviceStatusTable {
  tenant: string;
  device: string;
  replica: string;
  status: string;
  detail: string | null;
  counters: JsonColumn<Record<string, number>>;
  last_seen: Timestamp;
}

export interface AssignmentsTable {
  replica: string;
  // pg returns bigint as a string.
  version: ColumnType<string, number, number | string>;
  devices: string[];
  acknowledged: ColumnType<boolean, boolean | undefined, boolean>;
  updated_at: Timestamp;
}

export interface CommandsTable {
  command_id: string;
  tenant: string;
  asset_id: string;
  action: string;
  target: string;
  arguments: ColumnType<unknown, string | null, string | null>;
  deadline: Timestamp;
  requester: string;
  device: string | null;
  replica: string | null;
  status: ColumnType<string, string | undefined, string>;
  failure_code: string | null;
  failure_message: string | null;
  result: ColumnType<unknown, string | null, string | null>;
  requested_at: Timestamp;
  completed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The coordinator answered it: a replica must still record it on the asset stream. */
  recorded_by_coordinator: ColumnType<boolean, boolean | undefined, boolean>;
  /** When a replica confirmed that both asset events of a coordinator-answered command are on the stream. */
  recorded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** How often a live replica refused to record this coordinator-answered command. */
  record_refusals: ColumnType<number, number | undefined, number>;
  /** Why the relay gave up recording it (the last refusal); null while it is still offered. */
  record_error: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ConnectorManagementDatabase {
  devices: DevicesTable;
  device_status: DeviceStatusTable;
  assignments: AssignmentsTable;
  commands: CommandsTable;
}

import { Injectable } from '@nestjs/common';
import type { DeviceSpec } from '@openfoundry/bus-registry';
import { InjectDb } from '@openfoundry/service-kit';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { ConnectorManagementDatabase, DeviceStatusTable, DevicesTable } from '../database.ts';

type Db = Kysely<ConnectorManagementDatabase> | Transaction<ConnectorManagementDatabase>;
type DeviceRow = Selectable<DevicesTable>;

export interface StoredDeviceRow {
  spec: DeviceSpec;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeviceStatusRow {
  tenant: string;
  device: string;
  replica: string;
  status: string;
  detail: string | null;
  counters: Record<string, number>;
  lastSeen: Date;
}

function toDevice(row: DeviceRow): StoredDeviceRow {
  return {
    spec: {
      ...(row.spec as Omit<DeviceSpec, 'tenant' | 'id' | 'revision'>),
      tenant: row.tenant,
      id: row.id,
      revision: row.revision,
    },
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toStatus(row: Selectable<DeviceStatusTable>): DeviceStatusRow {
  return {
    tenant: row.tenant,
    device: row.device,
    replica: row.replica,
    status: row.status,
    detail: row.detail,
    counters: row.counters,
    lastSeen: new Date(row.last_seen),
  };
}

/** The stored part of a spec: everything but the identity and revision, which are columns. */
export function specBody(spec: DeviceSpec): Omit<DeviceSpec, 'tenant' | 'id' | 'revision'> {
  const { tenant: _tenant, id: _id, revision: _revision, ...body } = spec;
  return body;
}

/** All SQL about devices and their reported status. */
@Injectable()
export class DevicesRepository {
  constructor(@InjectDb() private readonly db: Db) {}

  transaction<T>(work: (repository: DevicesRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(new DevicesRepository(trx)));
  }

  async lock(tenant: string, id: string): Promise<StoredDeviceRow | undefined> {
    const row = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    return row && toDevice(row);
  }

  async find(tenant: string, id: string): Promise<StoredDeviceRow | undefined> {
    const row = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toDevice(row);
  }

  /** Inserts or replaces; `ON CONFLICT` settles two concurrent creates of one device. */
  async save(spec: DeviceSpec): Promise<StoredDeviceRow> {
    const row = await this.db
      .insertInto('devices')
      .values({
        tenant: spec.tenant,
        id: spec.id,
        protocol: spec.protocol,
        spec: JSON.stringify(specBody(spec)),
        revision: spec.revision,
      })
      .onConflict((oc) =>
        oc.columns(['tenant', 'id']).doUpdateSet({
          protocol: spec.protocol,
          spec: JSON.stringify(specBody(spec)),
          revision: sql<number>`devices.revision + 1`,
          updated_at: sql<Date>`now()`,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.markChanged();
    return toDevice(row);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('devices')
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .executeTakeFirst();
    const deleted = Number(result.numDeletedRows) > 0;
    if (deleted) await this.markChanged();
    return deleted;
  }

  /**
   * Counts a change in the caller's transaction: the count moves when the change commits, never
   * before (migration 0004), so a reader that sees it also sees the device.
   */
  private async markChanged(): Promise<void> {
    await sql`update device_change_counter set changes = changes + 1`.execute(this.db);
  }

  /** Changes whenever a device is saved or deleted, by any instance, once that change is committed. */
  async changeMarker(): Promise<string> {
    const { rows } = await sql<{ changes: string }>`select changes::text from device_change_counter`.execute(
      this.db,
    );
    return rows[0]?.changes ?? '';
  }

  /** Keyset page by (tenant, id); `tenant` undefined lists every tenant. */
  async list(options: {
    tenant?: string | undefined;
    after?: { tenant: string; id: string } | undefined;
    limit: number;
  }): Promise<StoredDeviceRow[]> {
    let query = this.db
      .selectFrom('devices')
      .selectAll()
      .orderBy('tenant')
      .orderBy('id')
      .limit(options.limit);
    if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
    const after = options.after;
    if (after) query = query.where(sql<boolean>`(tenant, id) > (${after.tenant}, ${after.id})`);
    return (await query.execute()).map(toDevice);
  }

  async all(): Promise<DeviceSpec[]> {
    return (await this.db.selectFrom('devices').selectAll().orderBy('tenant').orderBy('id').execute()).map(
      (row) => toDevice(row).spec,
    );
  }

  /** The device of a tenant that maps `asset`: one of its points names it, or the device is the asset. */
  async findByAsset(tenant: string, asset: string): Promise<DeviceSpec | undefined> {
    const row = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('tenant', '=', tenant)
      .where((eb) =>
        eb.or([
          eb('id', '=', asset),
          eb(sql`spec -> 'points'`, '@>', sql`${JSON.stringify([{ asset }])}::jsonb`),
        ]),
      )
      // A device named after the asset wins over one that merely maps it.
      .orderBy(sql`id = ${asset}`, 'desc')
      .orderBy('id')
      .executeTakeFirst();
    return row && toDevice(row).spec;
  }

  async statuses(tenant: string, device: string): Promise<DeviceStatusRow[]> {
    const rows = await this.db
      .selectFrom('device_status')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('device', '=', device)
      .orderBy('replica')
      .execute();
    return rows.map(toStatus);
  }

  async statusesOf(devices: readonly { tenant: string; id: string }[]): Promise<DeviceStatusRow[]> {
    if (devices.length === 0) return [];
    const rows = await this.db
      .selectFrom('device_status')
      .selectAll()
      .where((eb) =>
        eb.or(devices.map((d) => eb.and([eb('tenant', '=', d.tenant), eb('device', '=', d.id)]))),
      )
      .execute();
    return rows.map(toStatus);
  }

  /** Upserts reported statuses; rows of devices deleted meanwhile are skipped. */
  async writeStatuses(rows: readonly DeviceStatusRow[]): Promise<void> {
    if (rows.length === 0) return;
    await sql`
      insert into device_status (tenant, device, replica, status, detail, counters, last_seen)
      select r.tenant, r.device, r.replica, r.status, r.detail, r.counters, r.last_seen
      from jsonb_to_recordset(${JSON.stringify(
        rows.map((r) => ({ ...r, last_seen: r.lastSeen.toISOString() })),
      )}::jsonb) as r(tenant text, device text, replica text, status text, detail text, counters jsonb, last_seen timestamptz)
      join devices d on d.tenant = r.tenant and d.id = r.device
      on conflict (tenant, device, replica) do update set
        status = excluded.status, detail = excluded.detail, counters = excluded.counters, last_seen = excluded.last_seen
    `.execute(this.db);
  }
}

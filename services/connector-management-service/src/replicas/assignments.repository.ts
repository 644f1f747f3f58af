import { Injectable } from '@nestjs/common';
import { InjectDb } from '@openfoundry/service-kit';
import { type Kysely, sql } from 'kysely';
import type { ConnectorManagementDatabase } from '../database.ts';

export interface AssignmentRow {
  replica: string;
  version: number;
  /** `tenant/device@revision`, sorted. */
  devices: string[];
  acknowledged: boolean;
  updatedAt: Date;
}

/** `tenant/device` of an assignment entry `tenant/device@revision`. */
export const entryKey = (entry: string) => entry.slice(0, entry.lastIndexOf('@'));

/** The last assignment sent to each replica, and the version sequence. */
@Injectable()
export class AssignmentsRepository {
  constructor(@InjectDb() private readonly db: Kysely<ConnectorManagementDatabase>) {}

  async nextVersion(): Promise<number> {
    const { rows } = await sql<{ v: string }>`select nextval('assignment_versions') as v`.execute(this.db);
    return Number(rows[0]?.v);
  }

  async all(): Promise<AssignmentRow[]> {
    const rows = await this.db.selectFrom('assignments').selectAll().orderBy('replica').execute();
    return rows.map((row) => ({
      replica: row.replica,
      version: Number(row.version),
      devices: row.devices,
      acknowledged: row.acknowledged,
      updatedAt: new Date(row.updated_at),
    }));
  }

  async save(replica: string, version: number, devices: string[]): Promise<void> {
    await this.db
      .insertInto('assignments')
      .values({ replica, version, devices, acknowledged: false })
      .onConflict((oc) =>
        oc.column('replica').doUpdateSet({ version, devices, acknowledged: false, updated_at: sql`now()` }),
      )
      .execute();
  }

  async acknowledge(replica: string, version: number): Promise<void> {
    await this.db
      .updateTable('assignments')
      .set({ acknowledged: true, updated_at: sql`now()` })
      .where('replica', '=', replica)
      .where('version', '=', String(version))
      .execute();
  }

  async remove(replica: string): Promise<void> {
    await this.db.deleteFrom('assignments').where('replica', '=', replica).execute();
  }
}

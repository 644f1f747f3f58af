import { Injectable } from '@nestjs/common';
import { InjectDb } from '@openfoundry/service-kit';
import type { Kysely, Selectable } from 'kysely';
import type { CommitsTable, SinkDatabase } from '../database.ts';
import type { TenantCommit } from './asset-table-writer.ts';
import { offsetsJson } from './offsets.ts';

export interface CommitLogEntry {
  id: string;
  tenant: string;
  table: string;
  snapshotId: string;
  records: number;
  duplicates: number;
  bytes: number;
  offsets: Record<string, string>;
  attempts: number;
  durationMs: number;
  committedAt: string;
}

function toEntry(row: Selectable<CommitsTable>): CommitLogEntry {
  return {
    id: String(row.id),
    tenant: row.tenant,
    table: row.table_name,
    snapshotId: String(row.snapshot_id),
    records: row.records,
    duplicates: row.duplicates,
    bytes: Number(row.bytes),
    offsets: row.offsets,
    attempts: row.attempts,
    durationMs: row.duration_ms,
    committedAt: new Date(row.committed_at).toISOString(),
  };
}

/** The sink's own log of the Iceberg commits it made (for operators; Iceberg holds the truth). */
@Injectable()
export class CommitsRepository {
  constructor(@InjectDb() private readonly db: Kysely<SinkDatabase>) {}

  async record(commit: TenantCommit, durationMs: number): Promise<void> {
    if (commit.snapshotId === undefined) return;
    await this.db
      .insertInto('commits')
      .values({
        tenant: commit.tenant,
        table_name: [...commit.table.namespace, commit.table.name].join('.'),
        snapshot_id: commit.snapshotId.toString(),
        records: commit.records,
        duplicates: commit.duplicates,
        bytes: commit.bytes,
        offsets: JSON.stringify(offsetsJson(commit.offsets)),
        attempts: commit.attempts,
        duration_ms: Math.round(durationMs),
      })
      .execute();
  }

  /** Newest first; `before` pages by id. */
  async list(query: {
    tenant?: string | undefined;
    limit: number;
    before?: string | undefined;
  }): Promise<CommitLogEntry[]> {
    let select = this.db.selectFrom('commits').selectAll().orderBy('id', 'desc').limit(query.limit);
    if (query.tenant) select = select.where('tenant', '=', query.tenant);
    if (query.before) select = select.where('id', '<', query.before);
    return (await select.execute()).map(toEntry);
  }

  /** The newest commit of each tenant. */
  async latestPerTenant(): Promise<CommitLogEntry[]> {
    const rows = await this.db
      .selectFrom('commits')
      .selectAll()
      .distinctOn('tenant')
      .orderBy('tenant')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toEntry);
  }
}

import type { TableIdentifier, TableMaintenance } from '@openfoundry/lakehouse';

export interface TableMaintainerOptions {
  /** Data files smaller than this are packed together (compaction's target). */
  compactTargetBytes: number;
  /** Snapshots older than this are expired (the newest `retainSnapshots` always stay). */
  snapshotRetentionMs: number;
  retainSnapshots: number;
  /** Unreferenced files older than this are deleted: the margin for commits in flight (ADR 0013). */
  orphanAgeMs: number;
}

export interface MaintenanceRun {
  table: string;
  compactedFiles: number;
  addedFiles: number;
  expiredSnapshots: number;
  deletedFiles: number;
  orphans: number;
}

/**
 * Keeps the sink's tables cheap to read: a commit a minute leaves a file and a manifest per
 * partition each time. Compaction carries the offsets of the snapshot it replaces forward, so the
 * sink's dedupe sees the same offsets after it; every step is a compare-and-swap the library
 * retries, so it runs beside the sink's appends.
 */
export class TableMaintainer {
  constructor(
    private readonly maintenance: TableMaintenance,
    private readonly options: TableMaintainerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async run(table: TableIdentifier): Promise<MaintenanceRun> {
    const compacted = await this.maintenance.compact(table, {
      targetFileBytes: this.options.compactTargetBytes,
      minInputFiles: 2,
    });
    const expired = await this.maintenance.expireSnapshots(table, {
      olderThan: new Date(this.now() - this.options.snapshotRetentionMs),
      retainLast: this.options.retainSnapshots,
    });
    const orphans = await this.maintenance.removeOrphanFiles(table, {
      olderThan: new Date(this.now() - this.options.orphanAgeMs),
    });
    return {
      table: [...table.namespace, table.name].join('.'),
      compactedFiles: compacted.rewrittenFiles.length,
      addedFiles: compacted.addedFiles.length,
      expiredSnapshots: expired.expiredSnapshotIds.length,
      deletedFiles: expired.deletedFiles.length,
      orphans: orphans.length,
    };
  }
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quotedString } from '@duckdb/node-api';
import { CommitFailedError } from '../catalog/catalog.errors.ts';
import type { LoadedTable, TableIdentifier } from '../catalog/rest-catalog.ts';
import { EntryStatus, type ManifestEntry } from '../iceberg/manifest.ts';
import { partitionColumns } from '../iceberg/partitioning.ts';
import {
  currentSchema,
  dataLocation,
  MAIN_BRANCH,
  mainHistory,
  mainSnapshot,
  type Snapshot,
  specById,
} from '../iceberg/table-metadata.ts';
import { compactLong } from '../json.ts';
import { normalizeS3Path } from '../storage/object-store.ts';
import { type WrittenFile, writeParquetFiles } from '../write/parquet-files.ts';
import {
  type ChangeMetrics,
  type CommitOptions,
  type CommittedSnapshot,
  METRIC_SUMMARY_KEYS,
} from '../write/snapshot-commit.ts';
import { type LakehouseOptions, TableIO } from '../write/table-io.ts';
import { CompactionConflictError } from './maintenance.errors.ts';
import {
  asExisting,
  manifestCounts,
  manifestTargetBytes,
  mergedManifestCount,
  partitionKey,
  readSnapshotManifests,
  type SpecEntry,
  writeMergedManifests,
} from './manifest-merge.ts';
import { ReachableFiles } from './reachable-files.ts';

export type TableMaintenanceOptions = LakehouseOptions;

export interface ExpireOptions extends CommitOptions {
  /** Snapshots made before this instant may go. */
  olderThan: Date;
  /** The newest snapshots of main that stay whatever their age (at least 1: main's head always stays). */
  retainLast: number;
  /** Delete the files only expired snapshots referenced (default true). */
  deleteFiles?: boolean;
}

export interface ExpireResult {
  expiredSnapshotIds: bigint[];
  deletedFiles: string[];
}

export interface OrphanOptions {
  /** Only files last modified before this instant are candidates; keep it well behind any commit in flight. */
  olderThan: Date;
  /** List what would be deleted without deleting it. */
  dryRun?: boolean;
}

export interface RewriteManifestsOptions extends CommitOptions {
  /**
   * The size manifests are cut at: the table's `commit.manifest.target-size-bytes` by default,
   * else 8 MiB (Iceberg's default).
   */
  targetManifestBytes?: number;
}

export interface CompactOptions extends RewriteManifestsOptions {
  /** Files at least this large are left alone; smaller ones are packed into files up to this size. */
  targetFileBytes: number;
  /** A partition is rewritten only when at least this many small files would merge (default 2). */
  minInputFiles?: number;
}

export interface CompactResult {
  snapshot?: CommittedSnapshot;
  rewrittenFiles: string[];
  addedFiles: string[];
}

export interface RewriteManifestsResult {
  snapshot?: CommittedSnapshot;
  /** The data manifests the parent snapshot read, all replaced. */
  replacedManifests: number;
  /** The manifests now holding their live entries. */
  addedManifests: number;
}

/**
 * Table maintenance through the catalog: expiring snapshots, removing files nothing references,
 * and compacting small data files. Every change is a commit with the main branch's head as a
 * requirement, so it never loses a concurrent writer's snapshot.
 */
export class TableMaintenance {
  private readonly io: TableIO;

  constructor(options: TableMaintenanceOptions) {
    this.io = new TableIO(options);
  }

  async expireSnapshots(identifier: TableIdentifier, options: ExpireOptions): Promise<ExpireResult> {
    const maxAttempts = options.maxAttempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      const table = await this.io.catalog.loadTable(identifier);
      const expired = expirable(table, options);
      if (!expired.length) return { expiredSnapshotIds: [], deletedFiles: [] };
      const head = mainSnapshot(table.metadata);
      let committed: LoadedTable;
      try {
        committed = await this.io.catalog.commitTable(
          identifier,
          [
            { type: 'assert-table-uuid', uuid: table.metadata['table-uuid'] },
            {
              type: 'assert-ref-snapshot-id',
              ref: MAIN_BRANCH,
              'snapshot-id': head ? compactLong(head['snapshot-id']) : null,
            },
          ],
          [{ action: 'remove-snapshots', 'snapshot-ids': expired.map((s) => compactLong(s['snapshot-id'])) }],
        );
      } catch (error) {
        if (error instanceof CommitFailedError && attempt < maxAttempts) continue;
        throw error;
      }
      const ids = expired.map((s) => BigInt(s['snapshot-id']));
      if (options.deleteFiles === false) return { expiredSnapshotIds: ids, deletedFiles: [] };
      const store = this.io.stores.forTable(table);
      const reachable = new ReachableFiles(store);
      // A file the kept snapshots only mark deleted was live in an expired parent: it goes too.
      const stillUsed = await reachable.ofTable(committed, { liveOnly: true });
      const location = normalizeS3Path(`${table.metadata.location.replace(/\/+$/, '')}/`);
      const garbage = [...(await reachable.ofSnapshots(expired))].filter(
        (path) => !stillUsed.has(path) && path.startsWith(location),
      );
      await store.delete(garbage);
      return { expiredSnapshotIds: ids, deletedFiles: garbage };
    }
  }

  async removeOrphanFiles(identifier: TableIdentifier, options: OrphanOptions): Promise<string[]> {
    const before = await this.io.catalog.loadTable(identifier);
    const store = this.io.stores.forTable(before);
    const reachable = new ReachableFiles(store);
    const used = await reachable.ofTable(before);
    const candidates = new Set<string>();
    // Only the table's own location: data or metadata paths set by properties may be shared
    // with other tables, whose files this table's metadata knows nothing about.
    for await (const object of store.list(directoryOf(before.metadata.location))) {
      const path = normalizeS3Path(object.path);
      if (object.lastModified < options.olderThan && !used.has(path)) candidates.add(path);
    }
    // A commit made while the listing ran can only reference new files or files already
    // reachable, but checking its metadata too costs one load and closes the question.
    const after = await this.io.catalog.loadTable(identifier);
    if (after.metadataLocation !== before.metadataLocation)
      for (const path of await reachable.ofTable(after)) candidates.delete(path);
    const orphans = [...candidates].sort();
    if (!options.dryRun) await store.delete(orphans);
    return orphans;
  }

  /**
   * Packs small data files into larger ones, committed as a `replace` snapshot whose manifests are
   * merged as `rewriteManifests` merges them: the replaced files marked deleted, every other live
   * file of the parent kept as existing, the new files added.
   */
  async compact(identifier: TableIdentifier, options: CompactOptions): Promise<CompactResult> {
    const table = await this.io.catalog.loadTable(identifier);
    const store = this.io.stores.forTable(table);
    const head = mainSnapshot(table.metadata);
    if (!head) return { rewrittenFiles: [], addedFiles: [] };
    const headManifests = await readSnapshotManifests(store, head);
    // Rewriting data files under delete files would need the deletes applied: not done yet.
    if (headManifests.deletes.length) return { rewrittenFiles: [], addedFiles: [] };
    const bins = planBins(headManifests.live, options);
    if (!bins.length) return { rewrittenFiles: [], addedFiles: [] };

    const schema = currentSchema(table.metadata);
    const written: { specId: number; files: WrittenFile[] }[] = [];
    const replaced = new Set(bins.flatMap((bin) => bin.files.map((f) => f.entry.data_file.file_path)));
    try {
      for (const bin of bins) {
        const files = await this.io.duckdb.run(async (connection, workDir) => {
          const locals: string[] = [];
          for (const [i, file] of bin.files.entries()) {
            const local = join(workDir, `input-${i}.parquet`);
            await writeFile(local, await store.read(file.entry.data_file.file_path));
            locals.push(local);
          }
          return writeParquetFiles(
            connection,
            `read_parquet([${locals.map(quotedString).join(', ')}], union_by_name = true)`,
            {
              schema,
              partition: partitionColumns(specById(table.metadata, bin.specId), schema),
              dataLocation: dataLocation(table.metadata),
              store,
              workDir,
            },
          );
        });
        written.push({ specId: bin.specId, files });
      }
      const added = written.flatMap((w) => w.files);
      const addedEntries = written.flatMap((w) =>
        w.files.map((file): SpecEntry => ({ specId: w.specId, entry: addedEntry(file) })),
      );
      const removed = bins.flatMap((b) => b.files);
      const snapshot = await this.io.committer.commit(
        identifier,
        async (current, parent, currentStore) => {
          if (!parent) throw new CompactionConflictError('the table lost its snapshots during compaction');
          const manifests = await readSnapshotManifests(currentStore, parent);
          if (manifests.deletes.length)
            throw new CompactionConflictError('another commit added delete files to the table');
          const found = new Set<string>();
          const kept = manifests.live.map(({ specId, entry }): SpecEntry => {
            if (!replaced.has(entry.data_file.file_path))
              return { specId, entry: { ...entry, status: EntryStatus.Existing } };
            found.add(entry.data_file.file_path);
            return { specId, entry: { ...entry, status: EntryStatus.Deleted, snapshot_id: null } };
          });
          // Every replaced file must still be live in the parent, or another commit changed it first.
          if (found.size !== replaced.size)
            throw new CompactionConflictError(
              'another commit removed or replaced files this compaction rewrote',
            );
          const merged = await writeMergedManifests(
            currentStore,
            current,
            [...kept, ...addedEntries],
            manifestTargetBytes(current.metadata, options.targetManifestBytes),
          );
          return {
            operation: 'replace',
            schemaId: schema['schema-id'],
            added: merged,
            kept: [],
            attemptFiles: merged.map((m) => m.manifest_path),
            properties: {
              ...carriedProperties(parent),
              ...manifestCounts(manifests.data.length, merged, kept.length + addedEntries.length),
            },
            metrics: {
              addedDataFiles: added.length,
              addedRecords: added.reduce((n, f) => n + BigInt(f.dataFile.record_count), 0n),
              addedFilesSize: added.reduce((n, f) => n + BigInt(f.size), 0n),
              deletedDataFiles: removed.length,
              deletedRecords: removed.reduce((n, f) => n + BigInt(f.entry.data_file.record_count), 0n),
              removedFilesSize: removed.reduce(
                (n, f) => n + BigInt(f.entry.data_file.file_size_in_bytes),
                0n,
              ),
              changedPartitions: bins.length,
            },
          };
        },
        options,
      );
      return {
        snapshot,
        rewrittenFiles: [...replaced],
        addedFiles: added.map((f) => f.dataFile.file_path),
      };
    } catch (error) {
      const ours = written.flatMap((w) => w.files.map((f) => f.dataFile.file_path));
      await store.delete(ours).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Rewrites the live entries of main's head into as few data manifests as the target size allows
   * (one per partition spec for most tables), committed as a `replace` snapshot that changes no
   * data: a sink's small appends leave a manifest each, and every scan opens them all. Does nothing
   * when the head already has no more manifests than the rewrite would write. Delete manifests are
   * kept as they are.
   */
  async rewriteManifests(
    identifier: TableIdentifier,
    options: RewriteManifestsOptions = {},
  ): Promise<RewriteManifestsResult> {
    const table = await this.io.catalog.loadTable(identifier);
    const store = this.io.stores.forTable(table);
    const head = mainSnapshot(table.metadata);
    if (!head) return { replacedManifests: 0, addedManifests: 0 };
    const targetBytes = manifestTargetBytes(table.metadata, options.targetManifestBytes);
    const headManifests = await readSnapshotManifests(store, head);
    if (mergedManifestCount(table, asExisting(headManifests.live), targetBytes) >= headManifests.data.length)
      return { replacedManifests: 0, addedManifests: 0 };
    let counts = { replacedManifests: 0, addedManifests: 0 };
    const snapshot = await this.io.committer.commit(
      identifier,
      async (current, parent, currentStore) => {
        if (!parent) throw new CompactionConflictError('the table lost its snapshots during the rewrite');
        const manifests = await readSnapshotManifests(currentStore, parent);
        const entries = asExisting(manifests.live);
        const merged = await writeMergedManifests(currentStore, current, entries, targetBytes);
        counts = { replacedManifests: manifests.data.length, addedManifests: merged.length };
        return {
          operation: 'replace',
          added: merged,
          kept: manifests.deletes,
          attemptFiles: merged.map((m) => m.manifest_path),
          properties: {
            ...carriedProperties(parent),
            ...manifestCounts(manifests.data.length, merged, entries.length, manifests.deletes.length),
          },
          metrics: NO_DATA_CHANGE,
        };
      },
      options,
    );
    return { snapshot, ...counts };
  }

  close(): Promise<void> {
    return this.io.close();
  }
}

/** Snapshots past both limits that no branch or tag points at. */
function expirable(table: LoadedTable, options: ExpireOptions): Snapshot[] {
  const metadata = table.metadata;
  const keep = new Set<bigint>(Object.values(metadata.refs ?? {}).map((ref) => BigInt(ref['snapshot-id'])));
  let kept = 0;
  for (const snapshot of mainHistory(metadata)) {
    if (kept++ >= Math.max(1, options.retainLast)) break;
    keep.add(BigInt(snapshot['snapshot-id']));
  }
  const cutoff = options.olderThan.getTime();
  return (metadata.snapshots ?? []).filter(
    (s) => !keep.has(BigInt(s['snapshot-id'])) && s['timestamp-ms'] < cutoff,
  );
}

interface Bin {
  specId: number;
  files: SpecEntry[];
}

/** Small files of each partition packed, smallest first, into groups no larger than the target. */
function planBins(files: readonly SpecEntry[], options: CompactOptions): Bin[] {
  const minInputFiles = Math.max(2, options.minInputFiles ?? 2);
  const byPartition = new Map<string, SpecEntry[]>();
  for (const file of files) {
    if (Number(file.entry.data_file.file_size_in_bytes) >= options.targetFileBytes) continue;
    const key = partitionKey(file.specId, file.entry.data_file.partition);
    byPartition.set(key, [...(byPartition.get(key) ?? []), file]);
  }
  const bins: Bin[] = [];
  for (const group of byPartition.values()) {
    const sorted = [...group].sort(
      (a, b) => Number(a.entry.data_file.file_size_in_bytes) - Number(b.entry.data_file.file_size_in_bytes),
    );
    let current: SpecEntry[] = [];
    let size = 0;
    const close = () => {
      if (current.length >= minInputFiles)
        bins.push({ specId: (current[0] as SpecEntry).specId, files: current });
      current = [];
      size = 0;
    };
    for (const file of sorted) {
      const fileSize = Number(file.entry.data_file.file_size_in_bytes);
      if (current.length && size + fileSize > options.targetFileBytes) close();
      current.push(file);
      size += fileSize;
    }
    close();
  }
  return bins;
}

function addedEntry(file: WrittenFile): ManifestEntry {
  return {
    status: EntryStatus.Added,
    snapshot_id: null,
    sequence_number: null,
    file_sequence_number: null,
    data_file: file.dataFile,
  };
}

const NO_DATA_CHANGE: ChangeMetrics = {
  addedDataFiles: 0,
  addedRecords: 0n,
  addedFilesSize: 0n,
  deletedDataFiles: 0,
  deletedRecords: 0n,
  removedFilesSize: 0n,
  changedPartitions: 0,
};

/** Properties writers put in the parent's summary (stream offsets above all), which a maintenance snapshot must not drop (ADR 0002). */
function carriedProperties(parent: Snapshot): Record<string, string> {
  return Object.fromEntries(Object.entries(parent.summary).filter(([key]) => !METRIC_SUMMARY_KEYS.has(key)));
}

function directoryOf(path: string): string {
  return normalizeS3Path(`${path.replace(/\/+$/, '')}/`);
}

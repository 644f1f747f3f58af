import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quotedString } from '@duckdb/node-api';
import { CommitFailedError } from '../catalog/catalog.errors.ts';
import type { LoadedTable, TableIdentifier } from '../catalog/rest-catalog.ts';
import { EntryStatus, FileContent, type ManifestEntry, type ManifestFile } from '../iceberg/manifest.ts';
import {
  liveDataFiles,
  type NewManifest,
  readManifestEntries,
  readManifestList,
  type TrackedFile,
  writeManifest,
} from '../iceberg/manifest-io.ts';
import { partitionColumns } from '../iceberg/partitioning.ts';
import {
  currentSchema,
  dataLocation,
  MAIN_BRANCH,
  mainSnapshot,
  metadataLocation,
  type Snapshot,
  specById,
} from '../iceberg/table-metadata.ts';
import { compactLong } from '../json.ts';
import { normalizeS3Path, type ObjectStore } from '../storage/object-store.ts';
import { type WrittenFile, writeParquetFiles } from '../write/parquet-files.ts';
import { type CommitOptions, type CommittedSnapshot, METRIC_SUMMARY_KEYS } from '../write/snapshot-commit.ts';
import { type LakehouseOptions, TableIO } from '../write/table-io.ts';
import { CompactionConflictError } from './maintenance.errors.ts';
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

export interface CompactOptions extends CommitOptions {
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

  async compact(identifier: TableIdentifier, options: CompactOptions): Promise<CompactResult> {
    const table = await this.io.catalog.loadTable(identifier);
    const store = this.io.stores.forTable(table);
    const head = mainSnapshot(table.metadata);
    if (!head) return { rewrittenFiles: [], addedFiles: [] };
    if ((await readManifestList(store, head)).some((m) => m.content !== FileContent.Data))
      // Rewriting data files under delete files would need the deletes applied: not done yet.
      return { rewrittenFiles: [], addedFiles: [] };
    const bins = planBins(await liveDataFiles(store, head), options);
    if (!bins.length) return { rewrittenFiles: [], addedFiles: [] };

    const schema = currentSchema(table.metadata);
    const written: { specId: number; files: WrittenFile[] }[] = [];
    const replaced = new Set(bins.flatMap((bin) => bin.files.map((f) => f.entry.data_file.file_path)));
    const newManifests: NewManifest[] = [];
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
      for (const specId of new Set(written.map((w) => w.specId))) {
        const entries = written
          .filter((w) => w.specId === specId)
          .flatMap((w) => w.files)
          .map((f) => addedEntry(f));
        newManifests.push(
          await writeManifest(
            store,
            table.metadata,
            schema,
            specId,
            entries,
            metadataLocation(table.metadata),
          ),
        );
      }
      const added = written.flatMap((w) => w.files);
      const removed = bins.flatMap((b) => b.files);
      const snapshot = await this.io.committer.commit(
        identifier,
        async (current, parent, currentStore) => {
          if (!parent) throw new CompactionConflictError('the table lost its snapshots during compaction');
          const rewrites = await rewriteManifests(current, parent, currentStore, replaced);
          return {
            operation: 'replace',
            schemaId: schema['schema-id'],
            added: [...newManifests, ...rewrites.manifests],
            kept: rewrites.kept,
            attemptFiles: rewrites.manifests.map((m) => m.manifest_path),
            properties: carriedProperties(parent),
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
      const ours = [
        ...written.flatMap((w) => w.files.map((f) => f.dataFile.file_path)),
        ...newManifests.map((m) => m.manifest_path),
      ];
      await store.delete(ours).catch(() => undefined);
      throw error;
    }
  }

  close(): Promise<void> {
    return this.io.close();
  }
}

/** Snapshots past both limits that no branch or tag points at. */
function expirable(table: LoadedTable, options: ExpireOptions): Snapshot[] {
  const metadata = table.metadata;
  const keep = new Set<bigint>(Object.values(metadata.refs ?? {}).map((ref) => BigInt(ref['snapshot-id'])));
  const byId = new Map((metadata.snapshots ?? []).map((s) => [BigInt(s['snapshot-id']), s]));
  let cursor = mainSnapshot(metadata);
  for (let kept = 0; cursor && kept < Math.max(1, options.retainLast); kept++) {
    keep.add(BigInt(cursor['snapshot-id']));
    const parent = cursor['parent-snapshot-id'];
    cursor = parent === undefined || parent === null ? undefined : byId.get(BigInt(parent));
  }
  const cutoff = options.olderThan.getTime();
  return (metadata.snapshots ?? []).filter(
    (s) => !keep.has(BigInt(s['snapshot-id'])) && s['timestamp-ms'] < cutoff,
  );
}

interface Bin {
  specId: number;
  files: TrackedFile[];
}

/** Small files of each partition packed, smallest first, into groups no larger than the target. */
function planBins(files: readonly TrackedFile[], options: CompactOptions): Bin[] {
  const minInputFiles = Math.max(2, options.minInputFiles ?? 2);
  const byPartition = new Map<string, TrackedFile[]>();
  for (const file of files) {
    if (Number(file.entry.data_file.file_size_in_bytes) >= options.targetFileBytes) continue;
    const key = `${file.manifest.partition_spec_id}:${JSON.stringify(
      file.entry.data_file.partition,
      (_k, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    )}`;
    byPartition.set(key, [...(byPartition.get(key) ?? []), file]);
  }
  const bins: Bin[] = [];
  for (const group of byPartition.values()) {
    const sorted = [...group].sort(
      (a, b) => Number(a.entry.data_file.file_size_in_bytes) - Number(b.entry.data_file.file_size_in_bytes),
    );
    let current: TrackedFile[] = [];
    let size = 0;
    const close = () => {
      if (current.length >= minInputFiles)
        bins.push({ specId: (current[0] as TrackedFile).manifest.partition_spec_id, files: current });
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

/**
 * The parent's manifests with the replaced files marked deleted: manifests holding none of them
 * are kept as they are, the others rewritten with their remaining files as existing entries.
 * Every replaced file must still be live in the parent, or another commit changed it first.
 */
async function rewriteManifests(
  table: LoadedTable,
  parent: Snapshot,
  store: ObjectStore,
  replaced: ReadonlySet<string>,
): Promise<{ manifests: NewManifest[]; kept: ManifestFile[] }> {
  const kept: ManifestFile[] = [];
  const manifests: NewManifest[] = [];
  const found = new Set<string>();
  const schema = currentSchema(table.metadata);
  for (const manifest of await readManifestList(store, parent)) {
    const entries = manifest.content === FileContent.Data ? await readManifestEntries(store, manifest) : [];
    const live = entries.filter((e) => e.status !== EntryStatus.Deleted);
    if (!live.some((e) => replaced.has(e.data_file.file_path))) {
      kept.push(manifest);
      continue;
    }
    const rewritten = live.map((entry): ManifestEntry => {
      if (replaced.has(entry.data_file.file_path)) {
        found.add(entry.data_file.file_path);
        return { ...entry, status: EntryStatus.Deleted, snapshot_id: null };
      }
      return { ...entry, status: EntryStatus.Existing };
    });
    manifests.push(
      await writeManifest(
        store,
        table.metadata,
        schema,
        manifest.partition_spec_id,
        rewritten,
        metadataLocation(table.metadata),
      ),
    );
  }
  if (found.size !== replaced.size) {
    await store.delete(manifests.map((m) => m.manifest_path)).catch(() => undefined);
    throw new CompactionConflictError('another commit removed or replaced files this compaction rewrote');
  }
  return { manifests, kept };
}

/** Properties writers put in the parent's summary (stream offsets above all), which a maintenance snapshot must not drop (ADR 0002). */
function carriedProperties(parent: Snapshot): Record<string, string> {
  return Object.fromEntries(Object.entries(parent.summary).filter(([key]) => !METRIC_SUMMARY_KEYS.has(key)));
}

function directoryOf(path: string): string {
  return normalizeS3Path(`${path.replace(/\/+$/, '')}/`);
}

import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CatalogError, CatalogErrorCode, CommitFailedError } from '../catalog/catalog.errors.ts';
import type { LoadedTable, RestCatalog, TableIdentifier } from '../catalog/rest-catalog.ts';
import { encodeManifestList, FileContent, type ManifestFile } from '../iceberg/manifest.ts';
import type { NewManifest } from '../iceberg/manifest-io.ts';
import {
  MAIN_BRANCH,
  mainSnapshot,
  metadataLocation,
  type Snapshot,
  snapshotById,
} from '../iceberg/table-metadata.ts';
import { compactLong, type Long } from '../json.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { TableStores } from '../storage/table-stores.ts';

export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete';

/** What a snapshot changes, planned against one state of the table. */
export interface SnapshotChange {
  operation: SnapshotOperation;
  /** Manifests written for this snapshot. */
  added: NewManifest[];
  /** Manifests of the parent snapshot the new one keeps as they are. */
  kept: ManifestFile[];
  metrics: ChangeMetrics;
  /** Extra summary properties (caller-supplied, or carried forward by maintenance). */
  properties?: Record<string, string>;
  /** The schema the new data files were written with (the table's current one by default). */
  schemaId?: number;
  /** Manifests written for this attempt only, removed if the commit loses. */
  attemptFiles?: string[];
}

export interface ChangeMetrics {
  addedDataFiles: number;
  addedRecords: bigint;
  addedFilesSize: bigint;
  deletedDataFiles: number;
  deletedRecords: bigint;
  removedFilesSize: bigint;
  changedPartitions: number;
}

/** Plans a change against the table as it is now; called again with fresh metadata after a lost race. */
export type SnapshotPlanner = (
  table: LoadedTable,
  parent: Snapshot | undefined,
  store: ObjectStore,
) => Promise<SnapshotChange>;

export interface CommittedSnapshot {
  snapshotId: bigint;
  sequenceNumber: bigint;
  metadataLocation: string;
  /** 1 when the first commit won, one more for each lost race. */
  attempts: number;
  summary: Record<string, string>;
}

export interface CommitOptions {
  /** How many times to try before giving up on 409s (default 20). */
  maxAttempts?: number;
}

/** Summary keys the spec defines; any other key is a property of whoever made the snapshot. */
export const METRIC_SUMMARY_KEYS = new Set([
  'operation',
  'added-data-files',
  'deleted-data-files',
  'added-delete-files',
  'removed-delete-files',
  'added-records',
  'deleted-records',
  'added-files-size',
  'removed-files-size',
  'added-position-deletes',
  'removed-position-deletes',
  'added-equality-deletes',
  'removed-equality-deletes',
  'changed-partition-count',
  'total-records',
  'total-data-files',
  'total-delete-files',
  'total-files-size',
  'total-position-deletes',
  'total-equality-deletes',
  // What a snapshot did to manifests (Iceberg's Java writers add these when they rewrite manifests).
  'manifests-created',
  'manifests-kept',
  'manifests-replaced',
  'entries-processed',
]);

/**
 * Commits snapshots through the catalog's compare-and-swap: each attempt plans on the table as
 * loaded, writes a manifest list, and asks the catalog to move `main` only if it still points at
 * the parent the plan saw. A 409 means another writer moved it; the plan runs again on top.
 */
export class SnapshotCommitter {
  constructor(
    private readonly catalog: RestCatalog,
    private readonly stores: TableStores,
  ) {}

  async commit(
    identifier: TableIdentifier,
    plan: SnapshotPlanner,
    options: CommitOptions = {},
  ): Promise<CommittedSnapshot> {
    const maxAttempts = options.maxAttempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      const table = await this.catalog.loadTable(identifier);
      const store = this.stores.forTable(table);
      const parent = mainSnapshot(table.metadata);
      const change = await plan(table, parent, store);
      const snapshot = newSnapshot(table, parent, change);
      const listPath = `${metadataLocation(table.metadata)}/snap-${snapshot['snapshot-id']}-${attempt}-${randomUUID()}.avro`;
      const manifests = manifestList(change, snapshot);
      await store.create(
        listPath,
        encodeManifestList(manifests, {
          snapshotId: snapshot['snapshot-id'],
          parentSnapshotId: parent ? BigInt(parent['snapshot-id']) : null,
          sequenceNumber: snapshot['sequence-number'],
        }),
      );
      snapshot['manifest-list'] = listPath;
      snapshot.summary = summarize(change, manifests, parent);
      try {
        const committed = await this.catalog.commitTable(
          identifier,
          [
            { type: 'assert-table-uuid', uuid: table.metadata['table-uuid'] },
            {
              type: 'assert-ref-snapshot-id',
              ref: MAIN_BRANCH,
              'snapshot-id': parent ? compactLong(parent['snapshot-id']) : null,
            },
          ],
          [
            {
              action: 'add-snapshot',
              snapshot: { ...snapshot, 'snapshot-id': compactLong(snapshot['snapshot-id']) },
            },
            {
              action: 'set-snapshot-ref',
              'ref-name': MAIN_BRANCH,
              type: 'branch',
              'snapshot-id': compactLong(snapshot['snapshot-id']),
            },
          ],
        );
        return {
          snapshotId: snapshot['snapshot-id'],
          sequenceNumber: snapshot['sequence-number'],
          metadataLocation: committed.metadataLocation,
          attempts: attempt,
          summary: snapshot.summary,
        };
      } catch (error) {
        if (error instanceof CatalogError && error.code === CatalogErrorCode.CommitStateUnknown) {
          // The swap may have happened: only the catalog's current state can tell.
          const reloaded = await this.catalog.loadTable(identifier);
          if (snapshotById(reloaded.metadata, snapshot['snapshot-id']))
            return {
              snapshotId: snapshot['snapshot-id'],
              sequenceNumber: snapshot['sequence-number'],
              metadataLocation: reloaded.metadataLocation,
              attempts: attempt,
              summary: snapshot.summary,
            };
          throw error;
        }
        await store.delete([listPath, ...(change.attemptFiles ?? [])]).catch(() => undefined);
        if (!(error instanceof CommitFailedError) || attempt >= maxAttempts) throw error;
        // Writers that collided back off by different amounts so they do not collide again.
        await sleep(Math.random() * 50 * Math.min(attempt, 8));
      }
    }
  }
}

type NewSnapshot = Omit<Snapshot, 'snapshot-id' | 'sequence-number'> & {
  'snapshot-id': bigint;
  'sequence-number': bigint;
};

function newSnapshot(table: LoadedTable, parent: Snapshot | undefined, change: SnapshotChange): NewSnapshot {
  const taken = new Set((table.metadata.snapshots ?? []).map((s) => BigInt(s['snapshot-id'])));
  let id: bigint;
  do id = randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn;
  while (id === 0n || taken.has(id));
  return {
    'snapshot-id': id,
    ...(parent ? { 'parent-snapshot-id': compactLong(parent['snapshot-id']) } : {}),
    'sequence-number': BigInt(table.metadata['last-sequence-number'] ?? 0) + 1n,
    'timestamp-ms': Math.max(Date.now(), table.metadata['last-updated-ms']),
    'manifest-list': '',
    summary: { operation: change.operation },
    'schema-id': change.schemaId ?? table.metadata['current-schema-id'],
  };
}

function manifestList(change: SnapshotChange, snapshot: NewSnapshot): ManifestFile[] {
  const sequence = snapshot['sequence-number'];
  const added = change.added.map(
    (m): ManifestFile => ({
      ...m,
      sequence_number: sequence,
      min_sequence_number: m.min_sequence_number ?? sequence,
      added_snapshot_id: snapshot['snapshot-id'],
    }),
  );
  return [...added, ...change.kept];
}

function summarize(
  change: SnapshotChange,
  manifests: readonly ManifestFile[],
  parent: Snapshot | undefined,
): Record<string, string> & { operation: string } {
  const m = change.metrics;
  const data = manifests.filter((x) => x.content === FileContent.Data);
  const deletes = manifests.filter((x) => x.content !== FileContent.Data);
  const sum = (list: ManifestFile[], pick: (x: ManifestFile) => Long) =>
    list.reduce((total, x) => total + BigInt(pick(x)), 0n);
  const parentTotal = (key: string) => (parent ? parent.summary[key] : '0');
  const parentSize = parentTotal('total-files-size');
  const summary: Record<string, string> = {
    ...(change.properties ?? {}),
    operation: change.operation,
    'added-data-files': String(m.addedDataFiles),
    'added-records': String(m.addedRecords),
    'added-files-size': String(m.addedFilesSize),
    'changed-partition-count': String(m.changedPartitions),
    'total-records': String(sum(data, (x) => BigInt(x.added_rows_count) + BigInt(x.existing_rows_count))),
    'total-data-files': String(sum(data, (x) => x.added_files_count + x.existing_files_count)),
    'total-delete-files': String(sum(deletes, (x) => x.added_files_count + x.existing_files_count)),
    'total-position-deletes': parentTotal('total-position-deletes') ?? '0',
    'total-equality-deletes': parentTotal('total-equality-deletes') ?? '0',
  };
  if (m.deletedDataFiles) {
    summary['deleted-data-files'] = String(m.deletedDataFiles);
    summary['deleted-records'] = String(m.deletedRecords);
    summary['removed-files-size'] = String(m.removedFilesSize);
  }
  if (parentSize !== undefined)
    summary['total-files-size'] = String(BigInt(parentSize) + m.addedFilesSize - m.removedFilesSize);
  return summary as Record<string, string> & { operation: string };
}

import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { authorize, type Caller } from '../auth/caller.ts';
import {
  AlreadyExistsError,
  BadRequestError,
  CommitFailedError,
  NoSuchNamespaceError,
  NoSuchTableError,
} from '../catalog.errors.ts';
import { fetchLimit, type PageQuery, toPage } from '../http/paging.ts';
import type { CommitTableRequest, CreateTableRequest, TableIdentifier } from '../metadata/commit.schema.ts';
import { emptyTableMetadata, newTableMetadata } from '../metadata/new-table.ts';
import { checkRequirements } from '../metadata/requirements.ts';
import {
  DELETE_AFTER_COMMIT_PROPERTY,
  metadataFileName,
  metadataVersion,
  type TableMetadata,
  withReferencedSnapshotsOnly,
} from '../metadata/table-metadata.ts';
import { applyUpdates, validateMetadata } from '../metadata/updates.ts';
import { NamespacesRepository } from '../namespaces/namespaces.repository.ts';
import { ClientStorage } from '../storage/client-storage.ts';
import { Locations } from '../storage/locations.ts';
import { Warehouse } from '../storage/warehouse.ts';
import { type TableRef, TablesRepository } from './tables.repository.ts';

/** LoadTableResult of the REST spec. */
export interface LoadTableResult {
  'metadata-location'?: string;
  metadata: TableMetadata;
  config: Record<string, string>;
}

export interface CommitTableResult {
  'metadata-location': string;
  metadata: TableMetadata;
}

/** A commit ready to be swapped in: its new metadata is already written to the warehouse. */
interface PreparedCommit {
  table: TableRef;
  /** undefined when the commit creates the table (assert-create). */
  expected: string | undefined;
  next: string;
  metadata: TableMetadata;
  /** Metadata files this commit drops from the log, deleted once it is in (delete-after-commit). */
  dropped: string[];
}

const describe = (table: TableRef) => [...table.namespace, table.name].join('.');

@Injectable()
export class TablesService {
  private readonly logger = new Logger(TablesService.name);

  constructor(
    private readonly tables: TablesRepository,
    private readonly namespaces: NamespacesRepository,
    private readonly warehouse: Warehouse,
    private readonly storage: ClientStorage,
    private readonly locations: Locations,
  ) {}

  async list(caller: Caller, namespace: string[], query: PageQuery) {
    authorize(caller, namespace);
    if (!(await this.namespaces.find(namespace))) throw new NoSuchNamespaceError(namespace);
    const names = await this.tables.list(namespace, { after: query.pageToken, limit: fetchLimit(query) });
    const { items, next } = toPage(names, query, (name) => name);
    return {
      identifiers: items.map((name) => ({ namespace, name })),
      ...(next === undefined ? {} : { 'next-page-token': next }),
    };
  }

  async create(caller: Caller, namespace: string[], request: CreateTableRequest): Promise<LoadTableResult> {
    authorize(caller, namespace);
    const table = { namespace, name: request.name };
    if (!(await this.namespaces.find(namespace))) throw new NoSuchNamespaceError(namespace);
    if (await this.tables.nameTaken(table))
      throw new AlreadyExistsError(`A table or view named ${describe(table)} already exists`);
    const uuid = randomUUID();
    const location = (request.location ?? this.locations.defaultLocation(table, uuid)).replace(/\/+$/, '');
    this.locations.check(caller, location);
    const metadata = newTableMetadata({ request, uuid, location, nowMs: Date.now() });
    // A staged table exists only in the client's hands until a commit with assert-create.
    if (request['stage-create']) return { metadata, config: this.storage.properties };
    const metadataLocation = metadataFileName(location, 0, randomUUID());
    await this.warehouse.writeMetadata(metadataLocation, metadata);
    await this.tables.insert({ ...table, metadataLocation, tableUuid: uuid });
    return { 'metadata-location': metadataLocation, metadata, config: this.storage.properties };
  }

  async load(caller: Caller, table: TableRef, snapshots: 'all' | 'refs' = 'all'): Promise<LoadTableResult> {
    authorize(caller, table.namespace);
    const pointer = await this.tables.find(table);
    if (!pointer) throw new NoSuchTableError(table.namespace, table.name);
    const metadata = await this.warehouse.readMetadata(pointer.metadataLocation);
    return {
      'metadata-location': pointer.metadataLocation,
      metadata: snapshots === 'refs' ? withReferencedSnapshotsOnly(metadata) : metadata,
      config: this.storage.properties,
    };
  }

  async exists(caller: Caller, table: TableRef): Promise<void> {
    authorize(caller, table.namespace);
    if (!(await this.tables.find(table))) throw new NoSuchTableError(table.namespace, table.name);
  }

  async register(
    caller: Caller,
    namespace: string[],
    request: { name: string; 'metadata-location': string; overwrite?: boolean | undefined },
  ): Promise<LoadTableResult> {
    authorize(caller, namespace);
    const table = { namespace, name: request.name };
    const metadataLocation = request['metadata-location'];
    this.locations.check(caller, metadataLocation);
    const metadata = await this.warehouse.readMetadata(metadataLocation);
    if (typeof metadata?.['table-uuid'] !== 'string' || typeof metadata.location !== 'string')
      throw new BadRequestError(`Not a table metadata file: ${metadataLocation}`);
    this.locations.check(caller, metadata.location);
    const pointer = { ...table, metadataLocation, tableUuid: metadata['table-uuid'] };
    if (request.overwrite) await this.tables.upsert(pointer);
    else await this.tables.insert(pointer);
    return { 'metadata-location': metadataLocation, metadata, config: this.storage.properties };
  }

  async drop(caller: Caller, table: TableRef, purge: boolean): Promise<void> {
    authorize(caller, table.namespace);
    const metadataLocation = await this.tables.delete(table);
    if (!metadataLocation) throw new NoSuchTableError(table.namespace, table.name);
    if (!purge) return;
    // The pointer is gone first, so no reader can meet a half-deleted table; a failed purge leaves orphans.
    try {
      const { location } = await this.warehouse.readMetadata(metadataLocation);
      // A registered table may share its location with others; their files are not this drop's to delete.
      if (await this.tables.anyAt(location)) {
        this.logger.warn(
          { table: describe(table), location },
          'purge skipped: another table or view uses this location',
        );
        return;
      }
      const deleted = await this.warehouse.deletePrefix(location);
      this.logger.log({ table: describe(table), location, deleted }, 'purged table files');
    } catch (error) {
      this.logger.warn({ table: describe(table), err: error }, 'purge failed; the files are orphans now');
    }
  }

  async rename(caller: Caller, source: TableIdentifier, destination: TableIdentifier): Promise<void> {
    authorize(caller, source.namespace);
    authorize(caller, destination.namespace);
    if (!(await this.namespaces.find(destination.namespace)))
      throw new NoSuchNamespaceError(destination.namespace);
    if (!(await this.tables.rename(source, destination)))
      throw new NoSuchTableError(source.namespace, source.name);
  }

  async commit(caller: Caller, table: TableRef, request: CommitTableRequest): Promise<CommitTableResult> {
    const [result] = await this.commitAll(caller, [{ ...request, identifier: table }]);
    if (!result) throw new Error('commit produced no result');
    return result;
  }

  /**
   * Commits changes to one or more tables, all or nothing: each change is checked against the
   * table's current metadata and written as a new metadata file, then every pointer is swapped in
   * one Postgres transaction. A file written for a commit that then loses is never referenced.
   */
  async commitAll(
    caller: Caller,
    changes: readonly (CommitTableRequest & { identifier: TableIdentifier })[],
  ): Promise<CommitTableResult[]> {
    const seen = new Set<string>();
    for (const change of changes) {
      authorize(caller, change.identifier.namespace);
      const key = JSON.stringify(change.identifier);
      if (seen.has(key))
        throw new BadRequestError(`Table ${describe(change.identifier)} appears twice in one transaction`);
      seen.add(key);
    }
    const prepared = await Promise.all(
      changes.map((change) => this.prepare(caller, change.identifier, change)),
    );
    // Rows are locked in one order whatever the request's order, so two transactions never deadlock.
    const ordered = [...prepared].sort((a, b) => (describe(a.table) < describe(b.table) ? -1 : 1));
    await this.tables.transaction(async (repository) => {
      for (const commit of ordered) {
        if (commit.expected === undefined) {
          await repository
            .insert({
              ...commit.table,
              metadataLocation: commit.next,
              tableUuid: commit.metadata['table-uuid'],
            })
            .catch((error: unknown) => {
              if (error instanceof AlreadyExistsError)
                throw new CommitFailedError(
                  `Requirement failed: table ${describe(commit.table)} was created concurrently`,
                );
              throw error;
            });
        } else {
          // A change without updates swaps the pointer to itself: its requirements held at commit time too.
          const swapped = await repository.swap(
            commit.table,
            commit.expected,
            commit.next,
            commit.metadata['table-uuid'],
          );
          if (!swapped)
            throw new CommitFailedError(
              `Commit failed: table ${describe(commit.table)} was changed by another commit; reload and retry`,
            );
        }
      }
    });
    await Promise.all(prepared.map((commit) => this.deleteDropped(commit)));
    return prepared.map((commit) => ({ 'metadata-location': commit.next, metadata: commit.metadata }));
  }

  /**
   * After a commit is in: deletes the metadata files it dropped from the log, when the table asks
   * for it. Best effort — a file left behind is an orphan, never a broken table.
   */
  private async deleteDropped(commit: PreparedCommit): Promise<void> {
    if (commit.dropped.length === 0) return;
    try {
      await this.warehouse.deleteFiles(commit.dropped);
    } catch (error) {
      this.logger.warn({
        msg: 'old metadata files not deleted after commit',
        table: describe(commit.table),
        files: commit.dropped.length,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private async prepare(
    caller: Caller,
    table: TableRef,
    request: CommitTableRequest,
  ): Promise<PreparedCommit> {
    const pointer = await this.tables.find(table);
    const creating = request.requirements.some((r) => r.type === 'assert-create');
    if (!pointer && !creating) throw new NoSuchTableError(table.namespace, table.name);
    if (!pointer && !(await this.namespaces.find(table.namespace)))
      throw new NoSuchNamespaceError(table.namespace);
    const base = pointer ? await this.warehouse.readMetadata(pointer.metadataLocation) : undefined;
    checkRequirements(base, request.requirements);
    const nowMs = Date.now();
    if (base && pointer && request.updates.length === 0)
      return {
        table,
        expected: pointer.metadataLocation,
        next: pointer.metadataLocation,
        metadata: base,
        dropped: [],
      };

    const metadata = applyUpdates(base ?? emptyTableMetadata(nowMs), request.updates, {
      nowMs,
      baseLocation: pointer?.metadataLocation,
    });
    if (!metadata['table-uuid']) metadata['table-uuid'] = randomUUID();
    if (!metadata.location) metadata.location = this.locations.defaultLocation(table, metadata['table-uuid']);
    validateMetadata(metadata);
    this.locations.check(caller, metadata.location);
    if (base && base['table-uuid'] !== metadata['table-uuid'])
      throw new BadRequestError('A commit cannot change the table UUID');
    const version = pointer ? metadataVersion(pointer.metadataLocation) + 1 : 0;
    const next = metadataFileName(metadata.location, Math.max(version, 0), randomUUID());
    await this.warehouse.writeMetadata(next, metadata);
    return {
      table,
      expected: pointer?.metadataLocation,
      next,
      metadata,
      dropped: droppedFiles(base, metadata),
    };
  }
}

/** The metadata files in the base's log that the new metadata's log no longer holds, if the table deletes them. */
function droppedFiles(base: TableMetadata | undefined, metadata: TableMetadata): string[] {
  if (!base || metadata.properties[DELETE_AFTER_COMMIT_PROPERTY] !== 'true') return [];
  const kept = new Set(metadata['metadata-log'].map((entry) => entry['metadata-file']));
  return base['metadata-log'].map((entry) => entry['metadata-file']).filter((file) => !kept.has(file));
}

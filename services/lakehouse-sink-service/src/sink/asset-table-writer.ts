import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendsSinceReplace,
  CatalogError,
  CatalogErrorCode,
  CommitFailedError,
  type IcebergWriter,
  type LoadedTable,
  mainSnapshot,
  type RestCatalog,
  type TableIdentifier,
} from '@openfoundry/lakehouse';
import { assetEventQuery, assetTable, assetTableRequest } from './asset-table.ts';
import { maxOffsets, offsetProperties, type PartitionOffsets, summaryOffsets } from './offsets.ts';
import type { ParentGuard } from './parent-guard.ts';
import type { StagedEvents } from './staged-events.ts';

export interface AssetTableWriterOptions {
  /** The asset stream's topic name: the offset keys of the summaries name it. */
  topic: string;
  namespace: string;
  table: string;
  metadataVersionsMax: number;
  /** Lost races (409) before giving up on one commit (default 20). */
  maxAttempts?: number;
}

export interface TenantCommit {
  tenant: string;
  table: TableIdentifier;
  /** Undefined when every record was already in the table (nothing committed). */
  snapshotId: bigint | undefined;
  /** Rows appended. */
  records: number;
  /** Records dropped because the table already held their offsets. */
  duplicates: number;
  /** Kafka bytes of the appended records. */
  bytes: number;
  /** The table's offsets after the commit: what its newest snapshot carries. */
  offsets: PartitionOffsets;
  attempts: number;
  /** Appends on the table since its last compaction, this one included, by any writer. */
  appendsSinceCompaction: number;
}

/**
 * Appends a tenant's buffered asset events to its table, exactly once by Kafka offset: each
 * attempt loads the table, drops the records below the offsets its current snapshot carries, and
 * commits the rest with the offsets merged into the summary, pinned to that snapshot (ParentGuard).
 * A lost race reloads and filters again, so a duplicate sink or a replay never writes a row twice.
 */
export class AssetTableWriter {
  constructor(
    private readonly catalog: RestCatalog,
    private readonly writer: IcebergWriter,
    private readonly guard: ParentGuard,
    private readonly options: AssetTableWriterOptions,
  ) {}

  table(tenant: string): TableIdentifier {
    return assetTable(tenant, this.options.namespace, this.options.table);
  }

  /** The offsets the tenant's table holds (empty when it does not exist yet). */
  async storedOffsets(tenant: string): Promise<PartitionOffsets> {
    try {
      const loaded = await this.catalog.loadTable(this.table(tenant));
      return summaryOffsets(mainSnapshot(loaded.metadata)?.summary, this.options.topic);
    } catch (error) {
      if (isMissing(error)) return new Map();
      throw error;
    }
  }

  async commit(tenant: string, staged: readonly StagedEvents[]): Promise<TenantCommit> {
    const identifier = this.table(tenant);
    const maxAttempts = this.options.maxAttempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load(tenant);
      const parent = mainSnapshot(loaded.metadata);
      const stored = summaryOffsets(parent?.summary, this.options.topic);
      const fresh = staged.map((s) => s.from(stored));
      const count = fresh.reduce((n, f) => n + f.records, 0);
      const base = {
        tenant,
        table: identifier,
        duplicates: staged.reduce((n, s) => n + s.count, 0) - count,
        attempts: attempt,
        appendsSinceCompaction: appendsSinceReplace(loaded.metadata),
      };
      if (count === 0) return { ...base, snapshotId: undefined, records: 0, bytes: 0, offsets: stored };
      const offsets = fresh.reduce((merged, f) => maxOffsets(merged, f.next), stored);
      try {
        const appended = await this.guard.run(parent ? BigInt(parent['snapshot-id']) : null, () =>
          stagedFile(
            fresh.flatMap((f) => f.lines),
            (file) =>
              this.writer.append(
                identifier,
                { sql: assetEventQuery(file) },
                { summary: offsetProperties(this.options.topic, offsets), maxAttempts: 1 },
              ),
          ),
        );
        return {
          ...base,
          snapshotId: appended?.snapshotId,
          records: appended?.records ?? 0,
          bytes: fresh.reduce((n, f) => n + f.bytes, 0),
          offsets,
          appendsSinceCompaction: base.appendsSinceCompaction + (appended?.snapshotId === undefined ? 0 : 1),
        };
      } catch (error) {
        if (error instanceof CommitFailedError && attempt < maxAttempts) {
          // Writers that collided back off by different amounts so they do not collide again.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * Math.min(attempt, 8)));
          continue;
        }
        throw error;
      }
    }
  }

  /** Loads the tenant's table, creating its namespace and the table the first time (races are fine). */
  private async load(tenant: string): Promise<LoadedTable> {
    const identifier = this.table(tenant);
    try {
      return await this.catalog.loadTable(identifier);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    await this.catalog.ensureNamespace(identifier.namespace);
    try {
      await this.catalog.createTable(
        identifier.namespace,
        assetTableRequest(identifier.name, { metadataVersionsMax: this.options.metadataVersionsMax }),
      );
    } catch (error) {
      if (!(error instanceof CatalogError && error.code === CatalogErrorCode.AlreadyExists)) throw error;
    }
    return this.catalog.loadTable(identifier);
  }
}

/**
 * Staged lines as a local NDJSON file for DuckDB to read while `task` runs (ADR 0021); the file is
 * removed afterwards, whatever the outcome.
 */
async function stagedFile<T>(lines: readonly Buffer[], task: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'openfoundry-sink-'));
  try {
    const file = join(dir, 'events.ndjson');
    // Written buffer by buffer, without first copying them into one.
    await writeFile(file, lines);
    return await task(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof CatalogError &&
    (error.code === CatalogErrorCode.NoSuchTable || error.code === CatalogErrorCode.NoSuchNamespace)
  );
}

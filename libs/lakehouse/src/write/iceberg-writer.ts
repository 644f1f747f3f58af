import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, quotedIdentifier } from '@duckdb/node-api';
import { loadArrowTable } from '@openfoundry/query-engine';
import type { Schema as ArrowSchema, RecordBatch } from 'apache-arrow';
import { CatalogError, CatalogErrorCode } from '../catalog/catalog.errors.ts';
import type { RestCatalog, TableIdentifier } from '../catalog/rest-catalog.ts';
import { EntryStatus, type ManifestEntry } from '../iceberg/manifest.ts';
import { readManifestList, writeManifest } from '../iceberg/manifest-io.ts';
import { partitionColumns } from '../iceberg/partitioning.ts';
import { currentSchema, dataLocation, defaultSpec, metadataLocation } from '../iceberg/table-metadata.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { TableStores } from '../storage/table-stores.ts';
import { type WrittenFile, writeParquetFiles } from './parquet-files.ts';
import {
  type CommitOptions,
  type CommittedSnapshot,
  METRIC_SUMMARY_KEYS,
  SnapshotCommitter,
} from './snapshot-commit.ts';
import { InvalidSourceError } from './writer.errors.ts';

/** Rows to append: Arrow record batches, or a query DuckDB runs on the writer's engine. */
export type AppendSource =
  | { batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>; schema?: ArrowSchema }
  | { sql: string };

export interface AppendOptions extends CommitOptions {
  /** Properties stored in the snapshot summary (e.g. the stream offsets the rows came from). */
  summary?: Record<string, string>;
}

export interface AppendResult extends CommittedSnapshot {
  dataFiles: string[];
  records: number;
}

export interface IcebergWriterOptions {
  catalog: RestCatalog;
  /** The DuckDB database SQL sources run on and Parquet is written with; a private in-memory one by default. */
  duckdb?: DuckDBInstance;
  /** The object store of every table; by default made from the S3 settings the catalog returns. */
  store?: ObjectStore;
  /** Where Parquet files wait before upload (the system temp directory by default). */
  workDir?: string;
}

/**
 * Appends rows to Iceberg tables: Parquet data files at the table's location, one manifest, and
 * a snapshot committed through the catalog with the parent it was planned on as a requirement.
 * Data files and the manifest are written once; a lost race only writes a new manifest list.
 */
export class IcebergWriter {
  private readonly stores: TableStores;
  private readonly committer: SnapshotCommitter;
  private ownDuckdb: Promise<DuckDBInstance> | undefined;

  constructor(private readonly options: IcebergWriterOptions) {
    this.stores = new TableStores(options.store);
    this.committer = new SnapshotCommitter(options.catalog, this.stores);
  }

  /** Appends the rows; a source with no rows commits nothing and resolves to undefined. */
  async append(
    table: TableIdentifier,
    source: AppendSource,
    options: AppendOptions = {},
  ): Promise<AppendResult | undefined> {
    const reserved = Object.keys(options.summary ?? {}).filter((key) => METRIC_SUMMARY_KEYS.has(key));
    if (reserved.length)
      throw new InvalidSourceError(`summary keys reserved by Iceberg: ${reserved.join(', ')}`);
    const loaded = await this.options.catalog.loadTable(table);
    const store = this.stores.forTable(loaded);
    const metadata = loaded.metadata;
    const schema = currentSchema(metadata);
    const spec = defaultSpec(metadata);
    const files = await this.withConnection(async (connection) => {
      const relation = await stage(connection, source);
      const workDir = await mkdtemp(join(this.options.workDir ?? tmpdir(), 'lakehouse-'));
      try {
        return await writeParquetFiles(connection, relation, {
          schema,
          partition: partitionColumns(spec, schema),
          dataLocation: dataLocation(metadata),
          store,
          workDir,
        });
      } finally {
        await rm(workDir, { recursive: true, force: true });
        await connection.run(`DROP TABLE IF EXISTS ${relation}`);
      }
    });
    if (!files.length) return undefined;
    const entries = files.map(
      (file): ManifestEntry => ({
        status: EntryStatus.Added,
        snapshot_id: null,
        sequence_number: null,
        file_sequence_number: null,
        data_file: file.dataFile,
      }),
    );
    const dataPaths = files.map((f) => f.dataFile.file_path);
    let manifestPath: string | undefined;
    try {
      const manifest = await writeManifest(
        store,
        metadata,
        schema,
        spec['spec-id'],
        entries,
        metadataLocation(metadata),
      );
      manifestPath = manifest.manifest_path;
      const committed = await this.committer.commit(
        table,
        async (_current, parent, currentStore) => ({
          operation: 'append',
          added: [manifest],
          kept: parent ? await readManifestList(currentStore, parent) : [],
          metrics: appendMetrics(files),
          properties: options.summary ?? {},
        }),
        options,
      );
      return {
        ...committed,
        dataFiles: dataPaths,
        records: files.reduce((n, f) => n + Number(f.dataFile.record_count), 0),
      };
    } catch (error) {
      // A definite failure leaves nothing behind; an unknown commit outcome keeps the files it may reference.
      if (!(error instanceof CatalogError && error.code === CatalogErrorCode.CommitStateUnknown))
        await store.delete([...dataPaths, ...(manifestPath ? [manifestPath] : [])]).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.stores.close();
    const own = await this.ownDuckdb;
    own?.closeSync();
  }

  private async withConnection<T>(run: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    this.ownDuckdb ??= this.options.duckdb ? undefined : DuckDBInstance.create(':memory:');
    const instance = this.options.duckdb ?? (await (this.ownDuckdb as Promise<DuckDBInstance>));
    const connection = await instance.connect();
    try {
      await connection.run(`SET TimeZone = 'UTC'`);
      return await run(connection);
    } finally {
      connection.closeSync();
    }
  }
}

let staged = 0;

/** The source as a temporary table of this connection. */
async function stage(connection: DuckDBConnection, source: AppendSource): Promise<string> {
  const name = `__lakehouse_source_${process.pid}_${++staged}`;
  if ('sql' in source) {
    await connection.run(`CREATE TEMP TABLE ${quotedIdentifier(name)} AS ${source.sql}`);
    return `temp.main.${quotedIdentifier(name)}`;
  }
  const batches = source.batches;
  const loaded = await loadArrowTable(
    connection,
    {
      batches: (async function* () {
        yield* batches;
      })(),
      schema: () => source.schema,
    },
    { table: name, temporary: true },
  );
  return loaded.table;
}

function appendMetrics(files: readonly WrittenFile[]) {
  return {
    addedDataFiles: files.length,
    addedRecords: files.reduce((n, f) => n + BigInt(f.dataFile.record_count), 0n),
    addedFilesSize: files.reduce((n, f) => n + BigInt(f.size), 0n),
    deletedDataFiles: 0,
    deletedRecords: 0n,
    removedFilesSize: 0n,
    changedPartitions: new Set(files.map((f) => JSON.stringify(f.dataFile.partition, bigintText))).size,
  };
}

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

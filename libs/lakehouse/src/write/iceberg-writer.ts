import { type DuckDBConnection, quotedIdentifier } from '@duckdb/node-api';
import { loadArrowTable } from '@openfoundry/query-engine';
import type { Schema as ArrowSchema, RecordBatch } from 'apache-arrow';
import { CatalogError, CatalogErrorCode } from '../catalog/catalog.errors.ts';
import type { TableIdentifier } from '../catalog/rest-catalog.ts';
import { EntryStatus, type ManifestEntry } from '../iceberg/manifest.ts';
import { type NewManifest, readManifestList, writeManifests } from '../iceberg/manifest-io.ts';
import { partitionColumns } from '../iceberg/partitioning.ts';
import { currentSchema, dataLocation, defaultSpec, metadataLocation } from '../iceberg/table-metadata.ts';
import { appendManifests } from '../maintenance/manifest-merge.ts';
import { type WrittenFile, writeParquetFiles } from './parquet-files.ts';
import { type CommitOptions, type CommittedSnapshot, METRIC_SUMMARY_KEYS } from './snapshot-commit.ts';
import { type LakehouseOptions, TableIO } from './table-io.ts';
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

export type IcebergWriterOptions = LakehouseOptions;

/**
 * Appends rows to Iceberg tables: Parquet data files at the table's location, one manifest, and
 * a snapshot committed through the catalog with the parent it was planned on as a requirement.
 * Data files and the manifest are written once; a lost race only writes a new manifest list.
 * When the table's small manifests pile up, the append merges them with its own (ADR 0028).
 */
export class IcebergWriter {
  private readonly io: TableIO;

  constructor(options: IcebergWriterOptions) {
    this.io = new TableIO(options);
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
    const loaded = await this.io.catalog.loadTable(table);
    const store = this.io.stores.forTable(loaded);
    const metadata = loaded.metadata;
    const schema = currentSchema(metadata);
    const spec = defaultSpec(metadata);
    const files = await this.io.duckdb.run(async (connection, workDir) => {
      const relation = await stage(connection, source);
      try {
        return await writeParquetFiles(connection, relation, {
          schema,
          partition: partitionColumns(spec, schema),
          dataLocation: dataLocation(metadata),
          store,
          workDir,
        });
      } finally {
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
      const [manifest] = (await writeManifests(
        store,
        metadata,
        schema,
        spec['spec-id'],
        entries,
        metadataLocation(metadata),
      )) as [NewManifest];
      manifestPath = manifest.manifest_path;
      let merged = false;
      const committed = await this.io.committer.commit(
        table,
        async (current, parent, currentStore) => {
          const parentManifests = parent ? await readManifestList(currentStore, parent) : [];
          const planned = await appendManifests(currentStore, current, parentManifests, {
            manifest,
            entries,
          });
          merged = planned.attemptFiles.length > 0;
          return {
            operation: 'append',
            schemaId: schema['schema-id'],
            added: planned.added,
            kept: planned.kept,
            attemptFiles: planned.attemptFiles,
            metrics: appendMetrics(files),
            properties: { ...(options.summary ?? {}), ...planned.properties },
          };
        },
        options,
      );
      // Its entries went into a merged manifest: nothing references the one written first.
      if (merged) await store.delete([manifest.manifest_path]).catch(() => undefined);
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

  close(): Promise<void> {
    return this.io.close();
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

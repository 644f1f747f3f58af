import type { DuckDBInstance } from '@duckdb/node-api';
import type { RestCatalog } from '../catalog/rest-catalog.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { TableStores } from '../storage/table-stores.ts';
import { DuckDBSession } from './duckdb-session.ts';
import { SnapshotCommitter } from './snapshot-commit.ts';

export interface LakehouseOptions {
  catalog: RestCatalog;
  /** The DuckDB database SQL sources run on and Parquet is written with; a private in-memory one by default. */
  duckdb?: DuckDBInstance;
  /** The object store of every table; by default made from the S3 settings the catalog returns. */
  store?: ObjectStore;
  /** Where Parquet files wait on their way to the object store (the system temp directory by default). */
  workDir?: string;
}

/** What writers and maintenance share: the catalog, each table's object store, DuckDB, the committer. */
export class TableIO {
  readonly catalog: RestCatalog;
  readonly stores: TableStores;
  readonly committer: SnapshotCommitter;
  readonly duckdb: DuckDBSession;

  constructor(options: LakehouseOptions) {
    this.catalog = options.catalog;
    this.stores = new TableStores(options.store);
    this.committer = new SnapshotCommitter(options.catalog, this.stores);
    this.duckdb = new DuckDBSession(options.duckdb, options.workDir);
  }

  async close(): Promise<void> {
    this.stores.close();
    await this.duckdb.close();
  }
}

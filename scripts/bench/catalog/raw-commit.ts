import pg from 'pg';
import type { CommitOnce } from './measure.ts';
import { appendLocally, type Metadata, nextMetadataLocation, nextSnapshot } from './snapshots.ts';
import type { Warehouse } from './warehouse.ts';

// The statements the catalog's TablesRepository sends (Kysely's SQL for find and swap), so the
// baseline does the same database work: the pointer read outside, the swap inside a transaction.
const FIND = `select "namespace", "name", "metadata_location" from "tables"
  where "namespace" = $1::text[] and "name" = $2 and "kind" = $3`;
const SWAP = `update "tables" set "metadata_location" = $1, "table_uuid" = $2, "updated_at" = now()
  where "namespace" = $3::text[] and "name" = $4 and "kind" = $5 and "metadata_location" = $6`;

const CACHE_ENTRIES = 64;

/**
 * Pointer rows in the catalog's own `tables` table (in a namespace of their own), committed to
 * directly: the limit of the catalog's compare-and-swap without HTTP, validation or the service.
 */
export class RawCommits {
  private readonly pool: pg.Pool;
  /** Recent metadata by location, as the catalog caches the files it wrote (bounded: files grow). */
  private readonly files = new Map<string, Metadata>();
  private readonly tables = new Map<string, { uuid: string; location: string }>();

  private readonly namespace: readonly string[];
  private readonly warehouse: Warehouse;

  constructor(databaseUrl: string, namespace: readonly string[], warehouse: Warehouse) {
    this.namespace = namespace;
    this.warehouse = warehouse;
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 16 });
  }

  async createNamespace(): Promise<void> {
    await this.pool.query('insert into namespaces (levels) values ($1::text[])', [this.namespace]);
  }

  /** A pointer row whose first metadata file is `seed` (a table the catalog created), written anew. */
  async createTable(name: string, seed: Metadata, tableUuid: string): Promise<void> {
    const metadata = structuredClone(seed);
    metadata.location = `s3://${this.warehouse.bucket}/${[...this.namespace, `${name}-${tableUuid}`].join('/')}`;
    const location = nextMetadataLocation(metadata.location, '');
    await this.warehouse.put(location, JSON.stringify(metadata));
    this.remember(location, metadata);
    this.tables.set(name, { uuid: tableUuid, location: metadata.location });
    await this.pool.query(
      'insert into tables (namespace, name, metadata_location, table_uuid) values ($1::text[], $2, $3, $4)',
      [this.namespace, name, location, tableUuid],
    );
  }

  /**
   * A writer on its own connection. With `withS3` each commit does what the catalog does around
   * the swap (append the snapshot to the cached metadata, stringify, PUT the file); without it
   * only the pointer read and the swap.
   */
  async writer(name: string, withS3: boolean): Promise<{ commit: CommitOnce; release: () => void }> {
    const table = this.tables.get(name);
    if (!table) throw new Error(`no pointer row ${name}`);
    const client = await this.pool.connect();
    const commit = async (): Promise<number> => {
      for (let retries = 0; ; retries++) {
        const { rows } = await client.query<{ metadata_location: string }>(FIND, [
          this.namespace,
          name,
          'table',
        ]);
        const expected = rows[0]?.metadata_location;
        if (!expected) throw new Error(`no pointer row ${name}`);
        const next = nextMetadataLocation(table.location, expected);
        if (withS3) {
          const base =
            this.files.get(expected) ?? (JSON.parse(await this.warehouse.get(expected)) as Metadata);
          const metadata = structuredClone(base);
          appendLocally(metadata, nextSnapshot(metadata), expected);
          await this.warehouse.put(next, JSON.stringify(metadata));
          this.remember(next, metadata);
        }
        await client.query('begin');
        const swapped = await client.query(SWAP, [next, table.uuid, this.namespace, name, 'table', expected]);
        await client.query('commit');
        if (swapped.rowCount === 1) return retries;
      }
    };
    return { commit, release: () => client.release() };
  }

  private remember(location: string, metadata: Metadata): void {
    if (this.files.size >= CACHE_ENTRIES) {
      const oldest = this.files.keys().next().value;
      if (oldest !== undefined) this.files.delete(oldest);
    }
    this.files.set(location, metadata);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

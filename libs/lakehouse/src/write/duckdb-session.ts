import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/**
 * Connections to the DuckDB database writers stage rows in: a given one (so SQL sources see the
 * caller's tables) or a private in-memory one. Each operation gets its own connection, in UTC so
 * day and hour partitions of timestamptz columns do not depend on the machine's zone, and its
 * own local directory for files on their way to the object store.
 */
export class DuckDBSession {
  private own: Promise<DuckDBInstance> | undefined;

  constructor(
    private readonly instance?: DuckDBInstance,
    private readonly workRoot: string = tmpdir(),
  ) {}

  async run<T>(task: (connection: DuckDBConnection, workDir: string) => Promise<T>): Promise<T> {
    if (!this.instance) this.own ??= DuckDBInstance.create(':memory:');
    const instance = this.instance ?? (await (this.own as Promise<DuckDBInstance>));
    const connection = await instance.connect();
    const workDir = await mkdtemp(join(this.workRoot, 'lakehouse-'));
    try {
      await connection.run(`SET TimeZone = 'UTC'`);
      return await task(connection, workDir);
    } finally {
      connection.closeSync();
      await rm(workDir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    (await this.own)?.closeSync();
    this.own = undefined;
  }
}

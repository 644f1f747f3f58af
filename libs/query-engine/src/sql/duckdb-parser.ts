import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { ParsedStatements, ParseTreeSource } from './statement-analyzer.ts';

/**
 * DuckDB's parser on an engine of its own (in memory, no catalogs, no external access), so the
 * router reads parse trees the same way whichever backends serve the catalogs. Parsing binds
 * nothing: no table or connection is touched.
 */
export class DuckDBParser implements ParseTreeSource {
  private connection: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;

  async parseTree(sql: string): Promise<ParsedStatements | undefined> {
    const { connection } = await this.open();
    const reader = await connection.runAndReadAll('select json_serialize_sql(?::varchar) as tree', [sql]);
    const tree = JSON.parse(String(reader.getRows()[0]?.[0])) as { error: boolean; statements?: unknown[] };
    // DDL, DML and other statements that are not plain queries cannot be serialized; syntax errors neither.
    return tree.error ? undefined : { statements: tree.statements ?? [] };
  }

  async close(): Promise<void> {
    const opened = this.connection;
    this.connection = undefined;
    if (!opened) return;
    const { instance, connection } = await opened;
    connection.closeSync();
    instance.closeSync();
  }

  private open() {
    this.connection ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', {
        enable_external_access: 'false',
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
      return { instance, connection: await instance.connect() };
    })();
    return this.connection;
  }
}

import { DuckDBInstance } from '@duckdb/node-api';
import type { ParsedStatements, ParseTreeSource } from './statement-analyzer.ts';

/**
 * DuckDB's parser on an engine of its own (in memory, no catalogs, no external access), so the
 * router reads parse trees the same way whichever backends serve the catalogs. Parsing binds
 * nothing: no table or connection is touched.
 */
export class DuckDBParser implements ParseTreeSource {
  private instance: Promise<DuckDBInstance> | undefined;
  /**
   * Recent parse trees by statement text (read-only to callers): a client plans and then fetches
   * the same text, and BI tools repeat theirs, so most statements are parsed once.
   */
  private readonly recent = new Map<string, Promise<ParsedStatements | undefined>>();

  constructor(private readonly cacheSize = 512) {}

  parseTree(sql: string): Promise<ParsedStatements | undefined> {
    const cached = this.recent.get(sql);
    if (cached) {
      // Most recently used last, so the oldest is the first key.
      this.recent.delete(sql);
      this.recent.set(sql, cached);
      return cached;
    }
    const parsed = this.parse(sql);
    this.recent.set(sql, parsed);
    parsed.catch(() => this.recent.delete(sql));
    if (this.recent.size > this.cacheSize) this.recent.delete(this.recent.keys().next().value as string);
    return parsed;
  }

  private async parse(sql: string): Promise<ParsedStatements | undefined> {
    // A connection per parse: one DuckDB connection must not run two statements at once.
    const connection = await (await this.open()).connect();
    try {
      const reader = await connection.runAndReadAll('select json_serialize_sql(?::varchar)', [sql]);
      const tree = JSON.parse(String(reader.getRows()[0]?.[0])) as { error: boolean; statements?: unknown[] };
      // DDL, DML and other statements that are not plain queries cannot be serialized; syntax errors neither.
      return tree.error ? undefined : { statements: tree.statements ?? [] };
    } finally {
      connection.closeSync();
    }
  }

  async close(): Promise<void> {
    const opened = this.instance;
    this.instance = undefined;
    (await opened)?.closeSync();
  }

  private open(): Promise<DuckDBInstance> {
    this.instance ??= DuckDBInstance.create(':memory:', {
      enable_external_access: 'false',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    return this.instance;
  }
}

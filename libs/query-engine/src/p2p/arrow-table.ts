import { randomUUID } from 'node:crypto';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  DuckDBVector,
  quotedIdentifier,
  quotedString,
} from '@duckdb/node-api';
import type { Data, Field, RecordBatch, Schema } from 'apache-arrow';
import { type CellReader, type ColumnCodec, codecsFor } from '../arrow/arrow-columns.ts';
import { classifyEngineError, QueryError, QueryErrorCode } from '../errors.ts';

export interface ArrowTableProgress {
  rows: number;
  bytes: number;
  batches: number;
}

export interface ArrowTableOptions {
  /** The local table's name. */
  table: string;
  /** A temporary table (the default) is visible to this connection only; otherwise it goes to `schema`. */
  temporary?: boolean;
  /** Schema of a non-temporary table in the connection's current database (default `main`). */
  schema?: string;
  /** An existing table of that name fails the load before any data is read (default), or is replaced once the source is complete. */
  ifExists?: 'fail' | 'replace';
  /** The load fails with RESOURCE_EXHAUSTED once the source sent more rows, or more Arrow bytes, than this; 0 or unset means no limit. */
  maxRows?: number;
  maxBytes?: number;
  /** Aborting stops reading the source; the load fails with CANCELLED and leaves no table behind. */
  signal?: AbortSignal;
  /** Called after each record batch is appended. */
  onProgress?: (progress: ArrowTableProgress) => void;
}

export interface ArrowTableColumn {
  name: string;
  type: DuckDBType;
}

export interface ArrowTableResult extends ArrowTableProgress {
  /** The table's qualified, quoted name, ready to use in SQL. */
  table: string;
  /** The source's Arrow schema, and the DuckDB column each of its fields became. */
  schema: Schema;
  columns: ArrowTableColumn[];
}

/** A stream of record batches, read only after the target name was checked. */
export interface ArrowSource {
  batches: AsyncIterable<RecordBatch>;
  /** Asked once the stream ended without a batch: the schema to create the empty table with. */
  schema?: () => Schema | undefined;
}

const TEMP_CATALOG = 'temp';

/** Where a table lives: a catalog (`temp` for temporary tables, else the current database), a schema, a name. */
interface TableRef {
  catalog: string | null;
  schema: string;
  name: string;
}

function qualified(ref: TableRef): string {
  const parts = ref.catalog ? [ref.catalog, ref.schema, ref.name] : [ref.schema, ref.name];
  return parts.map(quotedIdentifier).join('.');
}

/** DuckDB column names are case-insensitive and unique; Arrow field names need neither. */
function columnNames(fields: readonly Field[]): string[] {
  const taken = new Set<string>();
  return fields.map((field, i) => {
    const base = field.name || `column_${i}`;
    let name = base;
    for (let n = 1; taken.has(name.toLowerCase()); n++) name = `${base}_${n}`;
    taken.add(name.toLowerCase());
    return name;
  });
}

async function tableExists(connection: DuckDBConnection, ref: TableRef): Promise<boolean> {
  const catalog = ref.catalog ? quotedString(ref.catalog) : 'current_database()';
  const result = await connection.runAndReadAll(
    `select 1 from information_schema.tables
      where table_catalog = ${catalog} and lower(table_schema) = lower($schema) and lower(table_name) = lower($name)`,
    { schema: ref.schema, name: ref.name },
  );
  return result.currentRowCount > 0;
}

/** Starts a transaction unless the caller already runs one, which the swap then joins. */
async function beginUnlessInTransaction(connection: DuckDBConnection): Promise<boolean> {
  try {
    await connection.run('begin transaction');
    return true;
  } catch (error) {
    if (/within a transaction/i.test(error instanceof Error ? error.message : '')) return false;
    throw error;
  }
}

/**
 * The staging table the peer's batches are appended to: it is renamed to the target once the
 * result is complete, and dropped on any failure, so a half-filled table is never visible
 * under the target's name.
 */
class StagingTable {
  private readonly chunk: DuckDBDataChunk;

  private constructor(
    private readonly connection: DuckDBConnection,
    readonly ref: TableRef,
    private readonly codecs: readonly ColumnCodec[],
    private readonly appender: DuckDBAppender,
  ) {
    this.chunk = DuckDBDataChunk.create(codecs.map((codec) => codec.duckdbType));
  }

  static async create(
    connection: DuckDBConnection,
    target: TableRef,
    columns: readonly ArrowTableColumn[],
    codecs: readonly ColumnCodec[],
  ): Promise<StagingTable> {
    const ref = { ...target, name: `${target.name}__staging_${randomUUID().replaceAll('-', '')}` };
    const definitions = columns.map((column) => `${quotedIdentifier(column.name)} ${column.type}`);
    const temporary = ref.catalog === TEMP_CATALOG ? 'temp ' : '';
    await connection.run(`create ${temporary}table ${qualified(ref)} (${definitions.join(', ')})`);
    try {
      const appender = await connection.createAppender(ref.name, ref.schema, ref.catalog);
      return new StagingTable(connection, ref, codecs, appender);
    } catch (error) {
      await connection.run(`drop table if exists ${qualified(ref)}`);
      throw error;
    }
  }

  /** Appends a batch as data chunks of DuckDB's vector size, column by column. */
  append(batch: RecordBatch): void {
    const columns = batch.data.children as Data[];
    const readers = columns.map((data, i) => (this.codecs[i] as ColumnCodec).bind(data));
    const size = DuckDBVector.standardSize();
    for (let start = 0; start < batch.numRows; start += size) {
      const rows = Math.min(size, batch.numRows - start);
      this.chunk.reset();
      this.chunk.rowCount = rows;
      for (let c = 0; c < columns.length; c++)
        this.fill(c, columns[c] as Data, readers[c] as CellReader, start, rows);
      this.appender.appendDataChunk(this.chunk);
    }
  }

  private fill(column: number, data: Data, read: CellReader, start: number, rows: number): void {
    const vector = this.chunk.getColumnVector(column);
    if (data.nullCount === 0) {
      for (let r = 0; r < rows; r++) vector.setItem(r, read(start + r));
    } else {
      for (let r = 0; r < rows; r++) vector.setItem(r, data.getValid(start + r) ? read(start + r) : null);
    }
    vector.flush();
  }

  /** Makes the rows visible under the target's name; with `replace`, drop and rename are one transaction. */
  async publish(target: TableRef, replace: boolean): Promise<void> {
    this.appender.closeSync();
    const rename = `alter table ${qualified(this.ref)} rename to ${quotedIdentifier(target.name)}`;
    if (!replace) {
      await this.connection.run(rename);
      return;
    }
    const own = await beginUnlessInTransaction(this.connection);
    try {
      await this.connection.run(`drop table if exists ${qualified(target)}`);
      await this.connection.run(rename);
      if (own) await this.connection.run('commit');
    } catch (error) {
      if (own) await this.connection.run('rollback');
      throw error;
    }
  }

  /** Best effort: the failure that brought us here is the one to report. */
  async discard(): Promise<void> {
    try {
      this.appender.closeSync();
    } catch {
      // Flushing rows of a table about to be dropped may fail for the same reason the load did.
    }
    try {
      await this.connection.run(`drop table if exists ${qualified(this.ref)}`);
    } catch {
      // A dropped connection takes its temporary tables with it.
    }
  }
}

function cancelled(): QueryError {
  return new QueryError(QueryErrorCode.Cancelled, 'the load was cancelled');
}

function checkLimits(options: ArrowTableOptions, progress: ArrowTableProgress): void {
  if (options.maxRows && progress.rows > options.maxRows)
    throw new QueryError(
      QueryErrorCode.ResourceExhausted,
      `the result exceeds ${options.maxRows} rows (maxRows)`,
    );
  if (options.maxBytes && progress.bytes > options.maxBytes)
    throw new QueryError(
      QueryErrorCode.ResourceExhausted,
      `the result exceeds ${options.maxBytes} bytes (maxBytes)`,
    );
}

function validate(options: ArrowTableOptions): void {
  if (!options.table) throw new QueryError(QueryErrorCode.InvalidArgument, 'a table name is required');
  if (options.temporary !== false && options.schema)
    throw new QueryError(QueryErrorCode.InvalidArgument, 'a temporary table takes no schema');
}

/**
 * Makes a stream of Arrow record batches a table of a DuckDB connection. Batches are appended
 * as they arrive (the stream is never held in memory), through DuckDB's appender in data
 * chunks, into a staging table that becomes the target only once the stream ended cleanly;
 * on any failure the staging table is dropped. Errors are QueryErrors: the source's own ones
 * pass through, DuckDB's are classified.
 *
 * The connection is used throughout the load; statements other code runs on it meanwhile
 * interleave with the load's own.
 */
export async function loadArrowTable(
  connection: DuckDBConnection,
  source: ArrowSource,
  options: ArrowTableOptions,
): Promise<ArrowTableResult> {
  validate(options);
  const { signal } = options;
  if (signal?.aborted) throw cancelled();
  const target: TableRef = {
    catalog: options.temporary === false ? null : TEMP_CATALOG,
    schema: options.schema ?? 'main',
    name: options.table,
  };
  const replace = options.ifExists === 'replace';
  let staging: StagingTable | undefined;
  let columns: ArrowTableColumn[] = [];
  const progress: ArrowTableProgress = { rows: 0, bytes: 0, batches: 0 };
  const stage = (schema: Schema): Promise<StagingTable> => {
    const codecs = codecsFor(schema.fields);
    columns = columnNames(schema.fields).map((name, i) => ({
      name,
      type: (codecs[i] as ColumnCodec).duckdbType,
    }));
    if (columns.length === 0)
      throw new QueryError(QueryErrorCode.InvalidArgument, 'the result has no columns');
    return StagingTable.create(connection, target, columns, codecs);
  };

  try {
    if (!replace && (await tableExists(connection, target)))
      throw new QueryError(QueryErrorCode.InvalidArgument, `table ${qualified(target)} already exists`);
    let schema: Schema | undefined;
    for await (const batch of source.batches) {
      if (signal?.aborted) throw cancelled();
      if (!staging) {
        schema = batch.schema;
        staging = await stage(schema);
      }
      if (batch.schema.fields.length !== columns.length)
        throw new QueryError(QueryErrorCode.InvalidArgument, 'a record batch changed the schema');
      progress.rows += batch.numRows;
      progress.bytes += batch.data.byteLength;
      progress.batches++;
      checkLimits(options, progress);
      staging.append(batch);
      options.onProgress?.({ ...progress });
    }
    if (signal?.aborted) throw cancelled();
    schema ??= source.schema?.();
    if (!schema) throw new QueryError(QueryErrorCode.InvalidArgument, 'the result carried no schema');
    staging ??= await stage(schema);
    await staging.publish(target, replace);
    return { table: qualified(target), schema, columns, ...progress };
  } catch (error) {
    await staging?.discard();
    throw signal?.aborted ? cancelled() : classifyEngineError(error);
  }
}

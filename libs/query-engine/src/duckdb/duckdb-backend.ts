import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  StatementType,
} from '@duckdb/node-api';
import {
  Schema as ArrowSchema,
  type Data,
  type DataType,
  Field,
  makeData,
  RecordBatch,
  type Schema,
  Struct,
  Utf8,
} from 'apache-arrow';
import {
  arrowData,
  arrowSchemaOf,
  arrowTypeOf,
  ColumnAccumulator,
  type ColumnDescription,
} from '../arrow/duckdb-to-arrow.ts';
import { adoptEncodedBody } from '../arrow/ipc.ts';
import {
  columnReader,
  type NativeBatch,
  NativeKind,
  type NativeLayout,
  nativeLayout,
} from '../arrow/native-columns.ts';
import type {
  Backend,
  BackendFactory,
  QueryStream,
  StatementDescription,
  StatementOptions,
} from '../backend.ts';
import { QueryError, QueryErrorCode } from '../errors.ts';
import { FILE_FUNCTIONS, fileReference } from '../lakehouse/file-references.ts';
import { calledFunctions, sqlTokens } from '../sql/sql-tokens.ts';

export const DUCKDB_CATALOG = 'duckdb';
export const POSTGRES_CATALOG = 'postgres';
export const LAKEHOUSE_CATALOG = 'lakehouse';

/** The platform's Iceberg REST catalog (ADR 0002, 0012), attached as the `lakehouse` catalog. */
export interface LakehouseOptions {
  /** Base URL of the Iceberg REST catalog, e.g. `http://127.0.0.1:8181`. */
  endpoint: string;
  /** The catalog's warehouse: its URL prefix and the bucket its tables live in. */
  warehouse: string;
  /** Bearer token the catalog maps to one tenant; every user granted `lakehouse` acts as that tenant. */
  token: string;
  /** How long setup keeps trying while the catalog does not answer (it may be starting as well). */
  connectTimeoutMs?: number;
}

export interface DuckDBBackendOptions {
  /** Name of the in-memory catalog (default `duckdb`). */
  catalog?: string;
  /** Where signed extensions (postgres_scanner, …) are installed; nothing is downloaded at run time. */
  extensionDirectory?: string | undefined;
  /** libpq connection string of the read-only Postgres exposed as the `postgres` catalog. */
  postgres?: string | undefined;
  /** The Iceberg REST catalog exposed as the `lakehouse` catalog, read and written through DuckDB's `iceberg`. */
  lakehouse?: LakehouseOptions | undefined;
  /**
   * Extensions loaded at start (from `extensionDirectory`), before the engine stops loading any:
   * e.g. `tpch` for its generator, or `spatial`. Their functions are then available to users.
   */
  extensions?: readonly string[];
  /** Approximate size of one record batch on the wire. */
  batchBytes?: number;
  /** Statements running at once; more wait in a queue of `maxQueued`, then RESOURCE_EXHAUSTED. */
  maxConcurrent?: number;
  maxQueued?: number;
  /** Interrupts a statement running longer (DEADLINE_EXCEEDED); 0 disables. */
  statementTimeoutMs?: number;
  /** Refuses a result with more rows (RESOURCE_EXHAUSTED); 0 disables. */
  maxRows?: number;
  /** Refuses a result larger than this many (estimated Arrow) bytes (RESOURCE_EXHAUSTED); 0 disables. */
  maxBytes?: number;
}

function makeBatch(schema: Schema, columns: readonly ColumnAccumulator[], rows: number) {
  return batchOf(
    schema,
    columns.map((column) => column.finish()),
    rows,
  );
}

function batchOf(schema: Schema, children: Data[], rows: number) {
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }),
  );
}

/** Room before a native batch's body for its FlightData header: the flatbuffer, tags and lengths. */
function headroomFor(columns: number): number {
  return 512 + columns * 3 * 16 + columns * 16;
}

/**
 * A record batch over the body the compiled reader assembled on its worker thread; its FlightData
 * is written into the room in front of that body, so sending it copies nothing more.
 */
function nativeRecordBatch(schema: Schema, layouts: readonly NativeLayout[], batch: NativeBatch) {
  const memory = new Uint8Array(batch.body);
  // Bitmaps are viewed with their padding (zeros in the body), as the IPC writer pads them: it then
  // takes these very views, and the FlightData written in front of the body describes them.
  const view = ([offset, length]: [number, number], pad = false) =>
    memory.subarray(batch.headroom + offset, batch.headroom + offset + (pad ? (length + 7) & ~7 : length));
  const children = batch.columns.map((column, i) => {
    const offsets = view(column.offsets);
    const layout = layouts[i] as NativeLayout;
    return arrowData(schema.fields[i]?.type as DataType, layout, batch.rows, column.nulls, {
      data: view(column.data, layout.kind === NativeKind.Bool),
      validity: view(column.validity, true),
      offsets: offsets.byteLength
        ? new Int32Array(offsets.buffer, offsets.byteOffset, offsets.byteLength / 4)
        : null,
    });
  });
  const record = batchOf(schema, children, batch.rows);
  adoptEncodedBody(record, memory, batch.headroom, batch.bodyBytes);
  return record;
}

/** Arrow bytes of a batch read natively, counted as the chunk path counts them. */
function nativeBytes(batch: NativeBatch): number {
  let bytes = 0;
  for (const column of batch.columns) bytes += column.data[1] + (column.offsets[1] ? batch.rows * 4 : 0);
  return bytes;
}

/** Binds positional parameters; typed ones (from an Arrow batch) keep the type the client sent. */
function bindAll(prepared: DuckDBPreparedStatement, parameters: readonly unknown[]): void {
  parameters.forEach((parameter, i) => {
    if (parameter !== null && typeof parameter === 'object' && 'value' in parameter && 'type' in parameter) {
      const typed = parameter as { value: DuckDBValue; type: DuckDBType | undefined };
      if (typed.value === null) prepared.bindNull(i + 1);
      else prepared.bindValue(i + 1, typed.value, typed.type);
    } else if (parameter === null || parameter === undefined) {
      prepared.bindNull(i + 1);
    } else {
      prepared.bindValue(i + 1, parameter as DuckDBValue);
    }
  });
}

function describeColumns(prepared: DuckDBPreparedStatement): ColumnDescription[] {
  const columns: ColumnDescription[] = [];
  for (let i = 0; i < prepared.columnCount; i++) {
    let type: DuckDBType | undefined;
    try {
      type = prepared.columnType(i);
    } catch {
      // The type depends on an untyped parameter; it is text until the statement runs.
      type = undefined;
    }
    columns.push({
      name: prepared.columnName(i),
      type: type ?? ({ typeId: DuckDBTypeId.VARCHAR } as DuckDBType),
    });
  }
  return columns;
}

function parameterSchema(prepared: DuckDBPreparedStatement): Schema {
  const fields: Field[] = [];
  for (let i = 1; i <= prepared.parameterCount; i++) {
    let type = arrowTypeOf({ typeId: DuckDBTypeId.VARCHAR } as DuckDBType);
    try {
      const id = prepared.parameterTypeId(i);
      if (id !== DuckDBTypeId.INVALID && id !== DuckDBTypeId.ANY)
        type = arrowTypeOf(prepared.parameterType(i));
    } catch {
      type = new Utf8();
    }
    const name = prepared.parameterName(i);
    fields.push(new Field(name && name !== String(i) ? name : `parameter_${i}`, type, true));
  }
  return new ArrowSchema(fields);
}

const UPDATE_STATEMENTS = new Set<StatementType>([
  StatementType.INSERT,
  StatementType.UPDATE,
  StatementType.DELETE,
  StatementType.CREATE,
  StatementType.DROP,
  StatementType.ALTER,
  StatementType.COPY,
]);

/** Statements that only read: they stream when fetched; every other kind runs once, when planned. */
const READ_STATEMENTS = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

/** Statements that would change the shared engine for every session (catalogs, extensions, files). */
const ENGINE_STATEMENTS = new Set<StatementType>([
  StatementType.ATTACH,
  StatementType.DETACH,
  StatementType.LOAD,
  StatementType.EXTENSION,
  StatementType.UPDATE_EXTENSIONS,
  StatementType.COPY_DATABASE,
  StatementType.EXPORT,
  StatementType.PREPARE,
  StatementType.EXECUTE,
]);

/**
 * Table functions that reach a database by connection string or run SQL built from strings,
 * which would step around the per-user catalog check.
 */
const ENGINE_FUNCTIONS =
  /^(query|query_table|json_execute_serialized_sql|postgres_[a-z_]+|sqlite_[a-z_]+|mysql_[a-z_]+)$/;

/**
 * Checked before DuckDB sees the text, since binding a table function already connects where it
 * says. Read from tokens: a literal or a comment mentioning such a function is not a call. Files are
 * out of reach anyway (external access is off) except the warehouse bucket when a lakehouse is
 * attached; then naming a file, by function or as a table, is refused too.
 */
function guardText(sql: string, files: boolean): void {
  const call = calledFunctions(sqlTokens(sql)).find(
    (name) => ENGINE_FUNCTIONS.test(name) || (files && FILE_FUNCTIONS.test(name)),
  );
  if (call) throw new QueryError(QueryErrorCode.PermissionDenied, `function ${call} is not allowed here`);
  const file = files ? fileReference(sql) : undefined;
  if (file)
    throw new QueryError(
      QueryErrorCode.PermissionDenied,
      `files cannot be read as tables here (${file}); query lakehouse tables by name`,
    );
}

function guardOrDestroy(prepared: DuckDBPreparedStatement, files: boolean): void {
  const type = prepared.statementType;
  if (!ENGINE_STATEMENTS.has(type) && !(files && type === StatementType.COPY)) return;
  prepared.destroySync();
  throw new QueryError(
    QueryErrorCode.PermissionDenied,
    `${StatementType[type]} statements are not allowed here`,
  );
}

/** Counts running statements and queues the rest, so one process never runs more than its share. */
class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly max: number,
    private readonly maxQueued: number,
  ) {}

  async enter(): Promise<() => void> {
    if (this.running >= this.max) {
      if (this.waiting.length >= this.maxQueued)
        throw new QueryError(QueryErrorCode.ResourceExhausted, 'too many statements queued; retry later');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}

/**
 * DuckDB in-process: the `duckdb` catalog is an in-memory database, `postgres` a read-only
 * attachment through the postgres scanner. Each statement gets its own connection so that a
 * slow reader never blocks another session and a cancel interrupts exactly one statement.
 */
export class DuckDBBackend implements Backend {
  /** Registers DuckDB engines in a `BackendRegistry`: each configuration is one engine. */
  static readonly factory: BackendFactory<DuckDBBackendOptions> = {
    create: (options) => DuckDBBackend.create(options),
  };
  readonly name = 'duckdb';
  readonly catalogs: readonly string[];
  private readonly gate: Gate;
  private readonly batchBytes: number;
  /** Whether the engine reaches files (the warehouse bucket, for the lakehouse). */
  private readonly files: boolean;
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    catalogs: string[],
    private readonly options: DuckDBBackendOptions,
  ) {
    this.catalogs = catalogs;
    this.gate = new Gate(options.maxConcurrent ?? 8, options.maxQueued ?? 64);
    this.batchBytes = options.batchBytes ?? 2 * 1024 * 1024;
    this.files = Boolean(options.lakehouse);
  }

  static async create(options: DuckDBBackendOptions = {}): Promise<DuckDBBackend> {
    const config: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'true',
    };
    if (options.extensionDirectory) config.extension_directory = options.extensionDirectory;
    const instance = await DuckDBInstance.create(':memory:', config);
    const setup = await instance.connect();
    const scratch = options.catalog ?? DUCKDB_CATALOG;
    const catalogs = [scratch];
    try {
      await setup.run(`ATTACH ':memory:' AS ${quoteIdent(scratch)}`);
      // DuckDB's own default catalog (`memory`) would be a catalog no grant covers: every
      // connection starts with USE of a served catalog instead.
      await setup.run(`USE ${quoteIdent(scratch)}`);
      await setup.run('DETACH memory');
      for (const extension of options.extensions ?? []) {
        if (!/^[a-z_][a-z0-9_]*$/.test(extension)) throw new Error(`not an extension name: ${extension}`);
        await setup.run(`LOAD ${extension}`);
      }
      if (options.postgres) {
        await setup.run('LOAD postgres');
        await setup.run(
          `ATTACH ${sqlString(options.postgres)} AS ${POSTGRES_CATALOG} (TYPE postgres, READ_ONLY)`,
        );
        catalogs.push(POSTGRES_CATALOG);
      }
      if (options.lakehouse) {
        await attachLakehouse(setup, options.lakehouse);
        catalogs.push(LAKEHOUSE_CATALOG);
      }
      // Clients must not read the server's files, attach databases or change these settings.
      await setup.run('SET enable_external_access = false');
      await setup.run('SET lock_configuration = true');
    } catch (error) {
      setup.closeSync();
      instance.closeSync();
      throw error;
    }
    setup.closeSync();
    return new DuckDBBackend(instance, catalogs, options);
  }

  private async connect(options?: Pick<StatementOptions, 'catalog' | 'schema'>): Promise<DuckDBConnection> {
    if (this.closed) throw new QueryError(QueryErrorCode.Unavailable, 'the engine is shutting down');
    const connection = await this.instance.connect();
    const catalog =
      options?.catalog && this.catalogs.includes(options.catalog)
        ? options.catalog
        : (this.catalogs[0] as string);
    // The lakehouse has no default schema to USE: without one, unqualified names resolve only in
    // the connection's own (per statement) `temp` catalog.
    const target = options?.schema
      ? `${quoteIdent(catalog)}.${quoteIdent(options.schema)}`
      : catalog === LAKEHOUSE_CATALOG
        ? 'temp'
        : quoteIdent(catalog);
    try {
      await connection.run(`USE ${target}`);
    } catch (error) {
      connection.closeSync();
      throw error;
    }
    return connection;
  }

  /**
   * Lends a connection of this engine (inside its concurrency limit) to code of the service
   * itself, e.g. to load another service's Flight SQL result into a table its users can join.
   * The connection is closed when `work` settles.
   */
  async withConnection<T>(
    work: (connection: DuckDBConnection) => Promise<T>,
    options?: Pick<StatementOptions, 'catalog' | 'schema'>,
  ): Promise<T> {
    const release = await this.gate.enter();
    try {
      const connection = await this.connect(options);
      try {
        return await work(connection);
      } finally {
        connection.closeSync();
      }
    } finally {
      release();
    }
  }

  async describe(sql: string, options?: StatementOptions): Promise<StatementDescription> {
    const connection = await this.connect(options);
    try {
      guardText(sql, this.files);
      const prepared = await connection.prepare(sql);
      guardOrDestroy(prepared, this.files);
      try {
        const columns = describeColumns(prepared);
        const description = {
          datasetSchema: arrowSchemaOf(columns),
          parameterSchema: parameterSchema(prepared),
          // DuckDB answers DML and DDL with a single "Count" column; RETURNING makes it a query.
          isUpdate:
            UPDATE_STATEMENTS.has(prepared.statementType) &&
            (columns.length === 0 || (columns.length === 1 && columns[0]?.name === 'Count')),
          changesState: !READ_STATEMENTS.has(prepared.statementType),
        };
        if (!options?.parameters?.length || description.isUpdate) return description;
        // With untyped parameters DuckDB knows the result types only once values are bound:
        // start the statement and read the types of its (not yet consumed) streaming result.
        bindAll(prepared, options.parameters);
        const result = await prepared.stream();
        const bound = result.columnTypes().map((type, i) => ({ name: result.columnName(i), type }));
        return { ...description, datasetSchema: arrowSchemaOf(bound) };
      } finally {
        prepared.destroySync();
      }
    } finally {
      connection.closeSync();
    }
  }

  async query(sql: string, options: StatementOptions): Promise<QueryStream> {
    const release = await this.gate.enter();
    let connection: DuckDBConnection | undefined;
    try {
      connection = await this.connect(options);
      const conn = connection;
      guardText(sql, this.files);
      const prepared = await conn.prepare(sql);
      guardOrDestroy(prepared, this.files);
      if (options.parameters?.length) bindAll(prepared, options.parameters);
      const watch = this.watch(conn, options.signal);
      let result: Awaited<ReturnType<DuckDBPreparedStatement['stream']>>;
      try {
        result = await prepared.stream();
      } catch (error) {
        watch.stop();
        throw watch.translate(error);
      }
      const columns: ColumnDescription[] = result.columnTypes().map((type, i) => ({
        name: result.columnName(i),
        type,
      }));
      const schema = arrowSchemaOf(columns);
      const { batchBytes } = this;
      const maxRows = this.options.maxRows ?? 0;
      const maxBytes = this.options.maxBytes ?? 0;
      const layouts = columns.map((column) => nativeLayout(column.type));
      const reader = columnReader;
      const rawResult = (result as unknown as { result: unknown }).result;
      // Every column copied by the compiled reader: fetch and copy run on a worker thread, a
      // batch ahead, while this thread encodes and sends the one before.
      const nativeBatches = async function* () {
        const native = layouts as NativeLayout[];
        const kinds = Int32Array.from(native, (layout) => layout.kind);
        const widths = Int32Array.from(native, (layout) => layout.width);
        const read = () =>
          (reader as NonNullable<typeof reader>)
            .readBatch(rawResult, kinds, widths, batchBytes, headroomFor(columns.length))
            .catch((error: unknown) => {
              throw watch.translate(error);
            });
        let total = 0;
        let totalBytes = 0;
        let ahead: ReturnType<typeof read> | undefined = read();
        try {
          for (;;) {
            if (options.signal?.aborted)
              throw new QueryError(QueryErrorCode.Cancelled, 'statement cancelled');
            const batch = await ahead;
            ahead = undefined;
            if (!batch) break;
            if (!batch.end) ahead = read();
            total += batch.rows;
            totalBytes += nativeBytes(batch);
            if (maxBytes && totalBytes > maxBytes)
              throw new QueryError(
                QueryErrorCode.ResourceExhausted,
                `result exceeds the limit of ${maxBytes} bytes`,
              );
            if (maxRows && total > maxRows)
              throw new QueryError(
                QueryErrorCode.ResourceExhausted,
                `result exceeds the limit of ${maxRows} rows`,
              );
            yield nativeRecordBatch(schema, native, batch);
            if (batch.end) break;
          }
          // An empty result still sends one empty batch: the JDBC driver mis-describes a stream without any.
          if (total === 0)
            yield makeBatch(
              schema,
              columns.map((column) => new ColumnAccumulator(column.type)),
              0,
            );
        } finally {
          await ahead?.catch(() => undefined);
          watch.stop();
          prepared.destroySync();
          conn.closeSync();
          release();
        }
      };
      if (reader?.readBatch && columns.length > 0 && layouts.every((layout) => layout !== undefined))
        return { schema, batches: nativeBatches() };
      const batches = async function* () {
        const accumulators = columns.map((column) => new ColumnAccumulator(column.type));
        let rows = 0;
        let bytes = 0;
        let total = 0;
        let totalBytes = 0;
        // One chunk is always being read ahead: DuckDB produces it on its threads while this
        // thread converts the previous one. Never more than one, so memory stays bounded.
        const fetch = () =>
          result.fetchChunk().catch((error: unknown) => {
            throw watch.translate(error);
          });
        let ahead: ReturnType<typeof fetch> | undefined = fetch();
        try {
          for (;;) {
            if (options.signal?.aborted)
              throw new QueryError(QueryErrorCode.Cancelled, 'statement cancelled');
            const chunk = await ahead;
            ahead = undefined;
            if (!chunk || chunk.rowCount === 0) {
              // A statement failing mid-stream also ends the chunks: only the result knows which.
              const failed = reader?.resultError?.(rawResult);
              if (failed) throw watch.translate(new Error(failed));
              break;
            }
            ahead = fetch();
            let chunkBytes = 0;
            for (let c = 0; c < accumulators.length; c++)
              chunkBytes += (accumulators[c] as ColumnAccumulator).append(chunk, c);
            bytes += chunkBytes;
            totalBytes += chunkBytes;
            if (maxBytes && totalBytes > maxBytes)
              throw new QueryError(
                QueryErrorCode.ResourceExhausted,
                `result exceeds the limit of ${maxBytes} bytes`,
              );
            rows += chunk.rowCount;
            total += chunk.rowCount;
            if (maxRows && total > maxRows)
              throw new QueryError(
                QueryErrorCode.ResourceExhausted,
                `result exceeds the limit of ${maxRows} rows`,
              );
            if (bytes >= batchBytes) {
              yield makeBatch(schema, accumulators, rows);
              rows = 0;
              bytes = 0;
            }
          }
          // An empty result still sends one empty batch: the JDBC driver mis-describes a stream without any.
          if (rows > 0 || total === 0) yield makeBatch(schema, accumulators, rows);
        } finally {
          // The engine must not be mid-fetch when its statement and connection go away.
          await ahead?.catch(() => undefined);
          watch.stop();
          prepared.destroySync();
          conn.closeSync();
          release();
        }
      };
      return { schema, batches: batches() };
    } catch (error) {
      connection?.closeSync();
      release();
      throw error;
    }
  }

  async update(
    sql: string,
    options: Omit<StatementOptions, 'parameters'> & { rows?: readonly (readonly unknown[])[] },
  ): Promise<number> {
    const release = await this.gate.enter();
    const connection = await this.connect(options).catch((error: unknown) => {
      release();
      throw error;
    });
    const watch = this.watch(connection, options.signal);
    try {
      guardText(sql, this.files);
      const prepared = await connection.prepare(sql);
      guardOrDestroy(prepared, this.files);
      try {
        let changed = 0;
        for (const row of options.rows?.length ? options.rows : [[]]) {
          prepared.clearBindings();
          if (row.length) bindAll(prepared, row);
          const result = await prepared.run();
          changed += result.rowsChanged;
        }
        return changed;
      } finally {
        prepared.destroySync();
      }
    } catch (error) {
      throw watch.translate(error);
    } finally {
      watch.stop();
      connection.closeSync();
      release();
    }
  }

  async metadata(sql: string, parameters: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    const connection = await this.connect();
    try {
      const reader = await connection.runAndReadAll(sql, parameters as DuckDBValue[]);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    } finally {
      connection.closeSync();
    }
  }

  async ping(): Promise<void> {
    await this.metadata('select 1 as ok');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.instance.closeSync();
  }

  /** Interrupts the statement on abort or timeout and says which one it was. */
  private watch(connection: DuckDBConnection, signal: AbortSignal | undefined) {
    let reason: QueryError | undefined;
    const interrupt = (why: QueryError) => {
      reason ??= why;
      connection.interrupt();
    };
    const onAbort = () =>
      interrupt(new QueryError(QueryErrorCode.Cancelled, 'statement cancelled by the client'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = this.options.statementTimeoutMs ?? 0;
    const timer = timeoutMs
      ? setTimeout(
          () =>
            interrupt(
              new QueryError(QueryErrorCode.DeadlineExceeded, `statement timed out after ${timeoutMs} ms`),
            ),
          timeoutMs,
        )
      : undefined;
    return {
      stop: () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      },
      translate: (error: unknown) => reason ?? error,
    };
  }
}

/**
 * Loads the Iceberg extensions, attaches the catalog (retrying while it does not answer) and opens
 * the warehouse bucket to the engine; runs before external access is disabled and the configuration
 * locked. Table files are read with the S3 credentials the catalog hands out per table location.
 * The token's secret is dropped once attached: the attached catalog keeps its own copy, and no secret
 * remains that a user could list or drop.
 */
async function attachLakehouse(setup: DuckDBConnection, options: LakehouseOptions): Promise<void> {
  for (const extension of ['httpfs', 'avro', 'iceberg']) await setup.run(`LOAD ${extension}`);
  await setup.run(`CREATE SECRET lakehouse_catalog_token (TYPE iceberg, TOKEN ${sqlString(options.token)})`);
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const attach = `ATTACH ${sqlString(options.warehouse)} AS ${LAKEHOUSE_CATALOG}
    (TYPE iceberg, ENDPOINT ${sqlString(endpoint)}, SECRET lakehouse_catalog_token)`;
  const deadline = Date.now() + (options.connectTimeoutMs ?? 60_000);
  for (;;) {
    try {
      await setup.run(attach);
      break;
    } catch (error) {
      if (Date.now() >= deadline || !unreachable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  await setup.run('DROP SECRET lakehouse_catalog_token');
  await setup.run(`SET allowed_directories = [${sqlString(`s3://${options.warehouse}/`)}]`);
}

/** The catalog did not answer (still starting, say): worth another try, unlike a refused token. */
function unreachable(error: unknown): boolean {
  return /could not (connect|establish)|connection refused|failed to connect|timed? ?out/i.test(
    (error as Error)?.message ?? String(error),
  );
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

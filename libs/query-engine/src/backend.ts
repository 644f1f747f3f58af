import type { RecordBatch, Schema } from 'apache-arrow';

/** Who runs a statement, and the catalogs they may see. */
export interface Principal {
  user: string;
  catalogs: readonly string[];
}

/** A statement's parameters, one array per parameter set (a row of the bound batch). */
export type ParameterRows = readonly (readonly unknown[])[];

export interface StatementOptions {
  principal: Principal;
  parameters?: readonly unknown[];
  /** Aborting interrupts the running statement (client cancel, shutdown). */
  signal?: AbortSignal;
  /** Where unqualified names resolve (the session's `catalog` and `schema` options). */
  catalog?: string | undefined;
  schema?: string | undefined;
}

export interface QueryStream {
  schema: Schema;
  /** Batches are produced on demand: the next engine chunk is read only when the consumer asks. */
  batches: AsyncIterable<RecordBatch>;
}

export interface StatementDescription {
  /** The columns the statement produces when run (a row count column for DML in some engines). */
  datasetSchema: Schema;
  parameterSchema: Schema;
  /** True when the statement only changes data or schema and reports a count. */
  isUpdate: boolean;
  /**
   * True when running the statement changes something (DML, DDL, CTAS, settings), with or without
   * a result: such a statement runs once, when it is planned, and its result is kept for the ticket.
   */
  changesState: boolean;
}

/**
 * One engine behind the Flight SQL edge, exposing one or more catalogs (ADR 0004). The server
 * routes each statement to the backend owning the catalogs it names.
 */
export interface Backend {
  readonly name: string;
  /** The catalogs this backend serves, as Flight SQL catalog names. */
  readonly catalogs: readonly string[];
  /** The schema of the statement's result and its parameters, without running it. */
  describe(sql: string, options: StatementOptions): Promise<StatementDescription>;
  query(sql: string, options: StatementOptions): Promise<QueryStream>;
  /** Runs a statement once per parameter row (or once without parameters); the affected row count. */
  update(
    sql: string,
    options: Omit<StatementOptions, 'parameters'> & { rows?: ParameterRows },
  ): Promise<number>;
  /** Runs an internal metadata query with the backend's own dialect; results fully read. */
  metadata(sql: string, parameters?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Starts one kind of engine from its configuration. */
export interface BackendFactory<Config> {
  create(config: Config): Promise<Backend>;
}

/**
 * The engines behind the edge, keyed by the catalogs they serve (ADR 0004: `duckdb`, `postgres`,
 * `lakehouse`, `trino`, `vector`). A catalog is served only when an engine configured for it is
 * registered: there is no placeholder backend, and an unserved catalog is simply not listed.
 */
export class BackendRegistry {
  private readonly owners = new Map<string, Backend>();
  private readonly engines: Backend[] = [];

  constructor(backends: readonly Backend[] = []) {
    for (const backend of backends) this.register(backend);
  }

  /**
   * Starts the engines that have a configuration, each with its factory, in the order the
   * factories are listed; the first is the primary (default route, catalog metadata).
   */
  static async start<Configs extends Record<string, unknown>>(
    factories: { [Kind in keyof Configs]: BackendFactory<Configs[Kind]> },
    configs: { [Kind in keyof Configs]?: Configs[Kind] | undefined },
  ): Promise<BackendRegistry> {
    const registry = new BackendRegistry();
    try {
      for (const kind of Object.keys(factories) as (keyof Configs)[]) {
        const config = configs[kind];
        if (config !== undefined) registry.register(await factories[kind].create(config));
      }
    } catch (error) {
      await registry.close();
      throw error;
    }
    return registry;
  }

  /** Claims every catalog the backend lists; a catalog served twice is a configuration error. */
  register(backend: Backend): this {
    const taken = backend.catalogs.filter((catalog) => this.owners.has(catalog));
    if (taken.length > 0) throw new Error(`catalog ${taken.join(', ')} is already served by another backend`);
    for (const catalog of backend.catalogs) this.owners.set(catalog, backend);
    this.engines.push(backend);
    return this;
  }

  get backends(): readonly Backend[] {
    return this.engines;
  }

  get catalogs(): string[] {
    return [...this.owners.keys()];
  }

  backendOf(catalog: string): Backend | undefined {
    return this.owners.get(catalog);
  }

  async close(): Promise<void> {
    await Promise.all(this.engines.map((backend) => backend.close()));
  }
}

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

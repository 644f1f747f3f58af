import type { DuckDBConnection } from '@duckdb/node-api';
import type { RecordBatch, Schema } from 'apache-arrow';
import { decodeSchema } from '../arrow/ipc.ts';
import { QueryError, QueryErrorCode } from '../errors.ts';
import { FlightSqlClient, type FlightSqlClientOptions } from '../flight/flight-sql-client.ts';
import { type ArrowTableOptions, type ArrowTableResult, loadArrowTable } from './arrow-table.ts';
import { peerError } from './peer-errors.ts';

/** A connected client, or what it takes to connect one (closed again when the load ends). */
export type FlightSqlPeer = FlightSqlClient | FlightSqlClientOptions;

export interface FlightSqlTableOptions extends ArrowTableOptions {
  /** The statement the peer runs. */
  sql: string;
  /** How errors name the peer (default: its address when known). */
  peerName?: string;
}

/**
 * Runs `options.sql` on a peer's Flight SQL server and makes its result a table of the local
 * DuckDB connection (see `loadArrowTable`): the peer's record batches are appended while they
 * stream in, and the table appears only once the whole result arrived. A peer's failure
 * surfaces as a QueryError whose code is the peer's gRPC status (UNAUTHENTICATED for bad
 * credentials, NOT_FOUND for an unknown table, …); aborting `signal` cancels the peer's stream.
 */
export async function loadFlightSqlTable(
  connection: DuckDBConnection,
  peer: FlightSqlPeer,
  options: FlightSqlTableOptions,
): Promise<ArrowTableResult> {
  if (!options.sql.trim())
    throw new QueryError(QueryErrorCode.InvalidArgument, 'the peer statement is empty');
  const peerName = options.peerName ?? (peer instanceof FlightSqlClient ? undefined : peer.address);
  let client: FlightSqlClient | undefined;
  let announced: Schema | undefined;
  // Lazy, so that nothing reaches the peer before the local target name was checked.
  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      client = peer instanceof FlightSqlClient ? peer : await FlightSqlClient.connect(peer);
      const info = await client.getFlightInfo('CommandStatementQuery', { query: options.sql });
      const schema = info.schema as Uint8Array | undefined;
      if (schema?.length) announced = decodeSchema(schema);
      yield* client.readInfo(info, options.signal);
    } catch (error) {
      throw peerError(peerName, error);
    }
  }
  try {
    return await loadArrowTable(connection, { batches: batches(), schema: () => announced }, options);
  } finally {
    if (client && client !== peer) client.close();
  }
}

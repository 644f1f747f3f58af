/**
 * Where the full-scan time goes: the gateway's two halves measured apart, in the bench's own
 * process, on the same TPC-H data.
 *
 * - engine: DuckDBBackend (the gateway's engine, with its compiled column reader) streaming
 *   `SELECT * FROM lineitem` as Arrow record batches, each encoded as the FlightData the edge
 *   would send; no network.
 * - transport: a FlightSqlServer whose backend replays record batches already made, so a client
 *   through it measures gRPC, HTTP/2 and the client's decoding with no engine behind them.
 */
import {
  type Backend,
  DuckDBBackend,
  encodeBatch,
  FlightSqlServer,
  parseStaticUsers,
  type QueryStream,
  StaticAuthProvider,
} from '@openfoundry/query-engine';
import { type RecordBatch, Schema } from 'apache-arrow';

const SCAN = 'SELECT * FROM lineitem';
const principal = { user: 'bench', catalogs: ['duckdb'] };
/** Batches kept from the engine for the transport probe to replay (about 128 MiB). */
const KEPT_BATCHES = 64;

export interface EngineProbe {
  /** Median seconds of the engine's full scan to encoded FlightData. */
  seconds: number;
  rows: number;
  /** Arrow bytes of one scan (record batch bodies). */
  bytes: number;
  schema: Schema;
  kept: RecordBatch[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function probeEngine(
  extensionDirectory: string,
  sf: number,
  repeats: number,
): Promise<EngineProbe> {
  const engine = await DuckDBBackend.create({ extensionDirectory, extensions: ['tpch'] });
  try {
    await engine.update(`CALL dbgen(sf = ${sf})`, { principal });
    const kept: RecordBatch[] = [];
    let schema = new Schema([]);
    let rows = 0;
    let bytes = 0;
    const times: number[] = [];
    // One warm-up, then the measured runs.
    for (let run = 0; run <= repeats; run++) {
      const started = performance.now();
      const stream = await engine.query(SCAN, { principal });
      schema = stream.schema;
      rows = 0;
      bytes = 0;
      for await (const batch of stream.batches) {
        bytes += encodeBatch(batch).dataBody.byteLength;
        rows += batch.numRows;
        if (run === 0 && kept.length < KEPT_BATCHES) kept.push(batch);
      }
      if (run > 0) times.push((performance.now() - started) / 1000);
    }
    return { seconds: median(times), rows, bytes, schema, kept };
  } finally {
    await engine.close();
  }
}

/** A backend that answers every query with the kept batches, cycled up to `rows` rows. */
function replayBackend(probe: EngineProbe): Backend {
  const empty = new Schema([]);
  return {
    name: 'replay',
    catalogs: ['duckdb'],
    async describe() {
      return { datasetSchema: probe.schema, parameterSchema: empty, isUpdate: false, changesState: false };
    },
    async query(): Promise<QueryStream> {
      async function* batches() {
        let sent = 0;
        for (let i = 0; sent < probe.rows; i = (i + 1) % probe.kept.length) {
          const batch = probe.kept[i] as RecordBatch;
          const take = Math.min(batch.numRows, probe.rows - sent);
          yield take === batch.numRows ? batch : batch.slice(0, take);
          sent += take;
        }
      }
      return { schema: probe.schema, batches: batches() };
    },
    async update() {
      throw new Error('the replay backend only answers queries');
    },
    async metadata() {
      return [];
    },
    async ping() {},
    async close() {},
  };
}

/** Starts the transport probe's Flight SQL server on a free loopback port. */
export async function startTransportProbe(
  probe: EngineProbe,
  user: string,
  password: string,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new FlightSqlServer({
    backend: replayBackend(probe),
    auth: new StaticAuthProvider(parseStaticUsers(`${user}:${password}:duckdb`), ['duckdb']),
  });
  const port = await server.listen('127.0.0.1', 0);
  return { port, close: () => server.close(1_000) };
}

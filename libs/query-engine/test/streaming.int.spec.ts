import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import type { RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  DuckDBBackend,
  decode,
  encode,
  FlightSqlClient,
  FlightSqlServer,
  flightType,
  parseStaticUsers,
  type QueryStream,
  StaticAuthProvider,
} from '../src/index.ts';

/** Counts the record batches the server pulled from the engine, to see how far it read ahead. */
function counting(backend: Backend): { backend: Backend; pulled: () => number } {
  let pulled = 0;
  const wrapped: Backend = Object.create(backend);
  wrapped.query = async (sql, options): Promise<QueryStream> => {
    const stream = await backend.query(sql, options);
    async function* batches(): AsyncGenerator<RecordBatch> {
      for await (const batch of stream.batches) {
        pulled++;
        yield batch;
      }
    }
    return { schema: stream.schema, batches: batches() };
  };
  return { backend: wrapped, pulled: () => pulled };
}

const ROWS = 4_000_000;
const CANCEL_STATUS_CANCELLED = 1;
const BATCH_BYTES = 64 * 1024;
const TOTAL_BATCHES = Math.floor((ROWS * 8) / BATCH_BYTES);

let engine: DuckDBBackend;
let server: FlightSqlServer;
let client: FlightSqlClient;
let pulled: () => number;

beforeAll(async () => {
  // One statement at a time: a cancelled stream that kept its slot would block the next query.
  engine = await DuckDBBackend.create({ batchBytes: BATCH_BYTES, maxConcurrent: 1 });
  const wrapped = counting(engine);
  pulled = wrapped.pulled;
  server = new FlightSqlServer({
    backend: wrapped.backend,
    auth: new StaticAuthProvider(parseStaticUsers('u:p'), engine.catalogs),
  });
  const port = await server.listen('127.0.0.1', 0);
  client = await FlightSqlClient.connect({ address: `127.0.0.1:${port}`, user: 'u', password: 'p' });
});

afterAll(async () => {
  client?.close();
  await server?.close(1_000);
  await engine?.close();
});

describe('streaming', () => {
  it('stops pulling from the engine while the client does not read', async () => {
    const before = pulled();
    const stream = client.stream(`select range as n from range(${ROWS})`);
    const first = await stream.next();
    expect(first.done).toBe(false);
    // Give the server every chance to run ahead; a server without backpressure reads it all.
    await sleep(1_000);
    const readAhead = pulled() - before;
    expect(readAhead).toBeLessThan(TOTAL_BATCHES / 4);
    await stream.return(undefined);
  });

  it('stops a running stream on CancelFlightInfo', async () => {
    const info = await client.getFlightInfo('CommandStatementQuery', {
      query: `select range as n from range(${ROWS})`,
    });
    const endpoint = (info.endpoint as { ticket: { ticket: Uint8Array } }[])[0];
    const stream = client.doGet(endpoint?.ticket.ticket as Uint8Array);
    await stream.next();
    const [result] = await client.action(
      'CancelFlightInfo',
      encode(flightType('CancelFlightInfoRequest'), { info }),
    );
    expect(decode(flightType('CancelFlightInfoResult'), result as Uint8Array).status).toBe(
      CANCEL_STATUS_CANCELLED,
    );
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toMatchObject({ code: status.CANCELLED });
  });

  it('releases the statement when the client cancels, so the next query runs', async () => {
    const controller = new AbortController();
    const stream = client.stream(`select range as n from range(${ROWS})`, controller.signal);
    await stream.next();
    controller.abort();
    await expect(stream.next()).rejects.toMatchObject({ code: status.CANCELLED });
    const next = await client.query('select 1 as one');
    expect(next.getChild('one')?.get(0)).toBe(1);
  });
});

import { DuckDBInstance } from '@duckdb/node-api';
import { type Data, makeVector, type RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColumnAccumulator } from '../arrow/duckdb-to-arrow.ts';
import { encodeBatch, encodeBatches, type IpcMessage, readBatches } from '../arrow/ipc.ts';
import { columnReader } from '../arrow/native-columns.ts';
import { QueryErrorCode } from '../errors.ts';
import { DuckDBBackend } from './duckdb-backend.ts';

const principal = { user: 'tester', catalogs: ['duckdb'] };

// Every column here has a layout the compiled reader copies, so the backend reads the result in
// whole batches on a worker thread (`readBatch`); the JavaScript path is the reference.
const SQL = `select range::int as i,
  case when range % 3 = 0 then null else range * 1.5 end as d,
  ((range - 10000) / 7)::decimal(18,3) as dec,
  case when range % 11 = 0 then null else range % 2 = 0 end as b,
  case when range % 5 = 0 then null else repeat('é' || range::varchar, 1 + range % 6) end as s,
  date '2024-01-01' + (range % 100)::int as dt,
  timestamptz '2024-01-01 00:00:00+00' + to_seconds(range) as ts,
  encode(repeat('x', range % 20)) as blob
  from range(20000)`;

let backend: DuckDBBackend;
let reference: DuckDBInstance;

beforeAll(async () => {
  backend = await DuckDBBackend.create({ batchBytes: 64 * 1024 });
  reference = await DuckDBInstance.create(':memory:');
});
afterAll(async () => {
  await backend.close();
  reference.closeSync();
});

function rows(batches: RecordBatch[]): unknown[] {
  return batches.flatMap((batch) => batch.toArray().map((row) => JSON.stringify(row.toJSON(), bigints)));
}
const bigints = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

async function viaJavaScript(sql: string): Promise<unknown[]> {
  const connection = await reference.connect();
  const result = await connection.stream(sql);
  const columns = result.columnTypes().map((type) => new ColumnAccumulator(type, { native: false }));
  const out: unknown[] = [];
  for (
    let chunk = await result.fetchChunk();
    chunk && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    for (const [i, column] of columns.entries()) column.append(chunk, i);
    const data = columns.map((column) => column.finish());
    for (let r = 0; r < chunk.rowCount; r++)
      out.push(
        JSON.stringify(
          Object.fromEntries(
            data.map((d, i) => [result.columnName(i), d.getValid(r) ? valueAt(d, r) : null]),
          ),
          bigints,
        ),
      );
  }
  connection.closeSync();
  return out;
}

/** A value as apache-arrow's row proxies show it (toJSON of a row). */
function valueAt(data: Data, row: number): unknown {
  return makeVector(data).get(row);
}

describe('DuckDBBackend reading whole batches with the compiled reader', () => {
  it('is available on this machine', () => {
    expect(columnReader?.readBatch).toBeTypeOf('function');
  });

  it('yields exactly what the JavaScript path yields, over many batches', async () => {
    const stream = await backend.query(SQL, { principal });
    const batches: RecordBatch[] = [];
    for await (const batch of stream.batches) batches.push(batch);
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(20000);
    const got = rows(batches);
    const expected = await viaJavaScript(SQL);
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);
    // The FlightData written in front of each body (what the edge sends) reads back as the same rows.
    const [schemaMessage] = encodeBatches(stream.schema, []);
    const sent = batches.map((batch) => encodeBatch(batch));
    expect(sent.every((m, i) => m.dataBody.buffer === batches[i]?.data.children[0]?.values.buffer)).toBe(
      true,
    );
    const received = readBatches([schemaMessage as IpcMessage, ...sent]);
    expect(rows(received.batches)).toEqual(expected);
  });

  it('sends one empty batch for an empty result', async () => {
    const stream = await backend.query('select range::int as i, range::varchar as s from range(0)', {
      principal,
    });
    const batches: RecordBatch[] = [];
    for await (const batch of stream.batches) batches.push(batch);
    expect(batches.map((b) => b.numRows)).toEqual([0]);
    expect(stream.schema.fields.map((f) => f.name)).toEqual(['i', 's']);
  });

  it('fails the stream when the statement fails while rows are being produced', async () => {
    // DuckDB may raise it when the statement starts or while batches are read: either way it surfaces.
    const reading = async () => {
      const stream = await backend.query(
        "select case when range = 1500000 then error('the sensor broke') else range end as v from range(2000000)",
        { principal },
      );
      let rows = 0;
      for await (const batch of stream.batches) rows += batch.numRows;
      return rows;
    };
    // The stream fails instead of ending early. DuckDB reports the statement's own error, except
    // when its other worker thread stops first: the fetch then sees DuckDB's interruption of the
    // failed statement (a race inside the engine, about one run in ten on two cores).
    await expect(reading()).rejects.toThrow(/the sensor broke|INTERRUPT Error/);
    // The engine is still fine afterwards.
    expect(await backend.metadata('select 42 as answer')).toEqual([{ answer: 42 }]);
  });

  it('fails the stream on the chunk path too (a LIST column is converted in JavaScript)', async () => {
    const reading = async () => {
      const stream = await backend.query(
        "select [range] as l, case when range = 1500000 then error('the sensor broke') else range end as v from range(2000000)",
        { principal },
      );
      let rows = 0;
      for await (const batch of stream.batches) rows += batch.numRows;
      return rows;
    };
    await expect(reading()).rejects.toThrow(/the sensor broke|INTERRUPT Error/);
  });

  it('stops a running scan when the client cancels', async () => {
    const controller = new AbortController();
    const stream = await backend.query('select range as v, range::varchar as s from range(50000000)', {
      principal,
      signal: controller.signal,
    });
    let seen = 0;
    const reading = (async () => {
      for await (const batch of stream.batches) {
        seen += batch.numRows;
        if (seen > 100_000) controller.abort();
      }
    })();
    await expect(reading).rejects.toMatchObject({ code: QueryErrorCode.Cancelled });
    expect(seen).toBeLessThan(50_000_000);
  });
});

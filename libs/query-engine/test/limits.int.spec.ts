import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuckDBBackend,
  FlightSqlClient,
  FlightSqlServer,
  parseStaticUsers,
  StaticAuthProvider,
} from '../src/index.ts';

let engine: DuckDBBackend;
let server: FlightSqlServer;
let client: FlightSqlClient;

async function grpcCode(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

beforeAll(async () => {
  engine = await DuckDBBackend.create({ statementTimeoutMs: 200, maxRows: 100_000, maxBytes: 200_000 });
  server = new FlightSqlServer({
    backend: engine,
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

describe('statement limits', () => {
  it('interrupts a statement that runs past the timeout with DEADLINE_EXCEEDED', async () => {
    // A cross join far too large to finish: only the timeout can end it.
    const sql = 'select count(*) from range(100000000) a, range(100000000) b';
    expect(await grpcCode(client.query(sql))).toBe(status.DEADLINE_EXCEEDED);
    expect((await client.query('select 1 as ok')).numRows).toBe(1);
  });

  it('refuses a result above the row limit with RESOURCE_EXHAUSTED', async () => {
    await expect(client.query('select true as flag from range(200000)')).rejects.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: expect.stringContaining('100000 rows'),
    });
    expect((await client.query('select * from range(5000)')).numRows).toBe(5000);
  });

  it('refuses a result above the byte limit with RESOURCE_EXHAUSTED', async () => {
    // 50,000 BIGINTs are 400 kB, twice the limit, while far below the row limit.
    await expect(client.query('select * from range(50000)')).rejects.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: expect.stringContaining('200000 bytes'),
    });
  });
});

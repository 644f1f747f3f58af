import { status } from '@grpc/grpc-js';
import { type RecordBatch, Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuckDBBackend,
  FlightSqlClient,
  FlightSqlServer,
  type Message,
  parseStaticUsers,
  StaticAuthProvider,
} from '../src/index.ts';
import { grpcCode } from './support.ts';

// Statements that change state run when planned (GetFlightInfo), once; their ticket replays the result.
let backend: DuckDBBackend;
let server: FlightSqlServer;
let owner: FlightSqlClient;
let other: FlightSqlClient;

async function read(client: FlightSqlClient, info: Message): Promise<Table> {
  const batches: RecordBatch[] = [];
  for await (const batch of client.readInfo(info)) batches.push(batch);
  return new Table(batches);
}

async function rowCount(table: string): Promise<number> {
  const result = await owner.query(`select count(*)::integer as n from ${table}`);
  return result.getChild('n')?.get(0) as number;
}

beforeAll(async () => {
  backend = await DuckDBBackend.create();
  server = new FlightSqlServer({
    backend,
    auth: new StaticAuthProvider(parseStaticUsers('owner:pw other:pw'), backend.catalogs),
  });
  const address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  owner = await FlightSqlClient.connect({ address, user: 'owner', password: 'pw' });
  other = await FlightSqlClient.connect({ address, user: 'other', password: 'pw' });
});

afterAll(async () => {
  owner?.close();
  other?.close();
  await server?.close(1_000);
  await backend?.close();
});

describe('statements that change state, sent as CommandStatementQuery', () => {
  it('creates the table at GetFlightInfo even when the ticket is never fetched', async () => {
    await owner.getFlightInfo('CommandStatementQuery', {
      query: 'create table made as select * from range(3) t(i)',
    });
    expect(await rowCount('made')).toBe(3);
  });

  it('runs once however often the ticket is fetched, and replays the count', async () => {
    await owner.executeUpdate('create table counted (i integer)');
    const info = await owner.getFlightInfo('CommandStatementQuery', {
      query: 'insert into counted values (1), (2)',
    });
    for (let i = 0; i < 2; i++) {
      const result = await read(owner, info);
      expect(result.numRows).toBe(1);
      expect(Number(result.getChildAt(0)?.get(0))).toBe(2);
    }
    expect(await rowCount('counted')).toBe(2);
  });

  it('keeps the rows of RETURNING for the ticket', async () => {
    await owner.executeUpdate('create table returned (i integer)');
    const info = await owner.getFlightInfo('CommandStatementQuery', {
      query: 'insert into returned values (7), (8) returning i',
    });
    expect(await rowCount('returned')).toBe(2);
    const result = await read(owner, info);
    expect([...(result.getChild('i')?.toArray() ?? [])]).toEqual([7, 8]);
  });

  it('does not run the statement for GetSchema', async () => {
    await owner.executeUpdate('create table described (i integer)');
    const schema = await owner.getSchema('CommandStatementQuery', {
      query: 'insert into described values (1)',
    });
    expect(schema.fields.map((field) => field.name)).toEqual(['Count']);
    expect(await rowCount('described')).toBe(0);
  });

  it("does not show one user's kept result to another", async () => {
    const info = await owner.getFlightInfo('CommandStatementQuery', {
      query: 'create table mine (i integer)',
    });
    expect(await grpcCode(read(other, info))).toBe(status.NOT_FOUND);
  });

  it('still streams queries at DoGet', async () => {
    await owner.executeUpdate('create table streamed (i integer)');
    const info = await owner.getFlightInfo('CommandStatementQuery', { query: 'select * from streamed' });
    await owner.executeUpdate('insert into streamed values (5)');
    const result = await read(owner, info);
    expect([...(result.getChild('i')?.toArray() ?? [])]).toEqual([5]);
  });
});

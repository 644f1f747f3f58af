import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuckDBBackend,
  decode,
  encode,
  FlightSqlClient,
  FlightSqlServer,
  flightType,
  parseStaticUsers,
  StaticAuthProvider,
} from '../src/index.ts';
import { grpcCode } from './support.ts';

// Two engines, each with its own catalog: statements go where their catalogs live.
let primary: DuckDBBackend;
let second: DuckDBBackend;
let server: FlightSqlServer;
let client: FlightSqlClient;

beforeAll(async () => {
  primary = await DuckDBBackend.create();
  second = await DuckDBBackend.create({ catalog: 'scratch' });
  const catalogs = [...primary.catalogs, ...second.catalogs];
  server = new FlightSqlServer({
    backend: primary,
    backends: [second],
    auth: new StaticAuthProvider(parseStaticUsers('u:p'), catalogs),
  });
  const port = await server.listen('127.0.0.1', 0);
  client = await FlightSqlClient.connect({ address: `127.0.0.1:${port}`, user: 'u', password: 'p' });
  await client.executeUpdate("create table scratch.main.notes as select 'from the second engine' as text");
  await client.executeUpdate("create table duckdb.main.notes as select 'from the primary engine' as text");
});

afterAll(async () => {
  client?.close();
  await server?.close(1_000);
  await primary?.close();
  await second?.close();
});

describe('routing', () => {
  it('sends a statement to the engine owning the catalog it names', async () => {
    const fromSecond = await client.query('select text from scratch.main.notes');
    expect(fromSecond.getChild('text')?.get(0)).toBe('from the second engine');
    const unqualified = await client.query('select text from notes');
    expect(unqualified.getChild('text')?.get(0)).toBe('from the primary engine');
  });

  it('lists the catalogs of every engine', async () => {
    const catalogs = await client.command('CommandGetCatalogs');
    expect(catalogs.getChild('catalog_name')?.toArray()).toEqual(['duckdb', 'scratch']);
  });

  it('refuses a statement that joins catalogs of two engines', async () => {
    const sql = 'select * from duckdb.main.notes a join scratch.main.notes b on true';
    expect(await grpcCode(client.query(sql))).toBe(status.INVALID_ARGUMENT);
  });

  it('runs unqualified statements where the session catalog lives', async () => {
    const [result] = await client.action(
      'SetSessionOptions',
      encode(flightType('SetSessionOptionsRequest'), {
        sessionOptions: { catalog: { stringValue: 'scratch' } },
      }),
    );
    expect(decode(flightType('SetSessionOptionsResult'), result as Uint8Array).errors).toEqual({});
    const unqualified = await client.query('select text from notes');
    expect(unqualified.getChild('text')?.get(0)).toBe('from the second engine');
  });
});

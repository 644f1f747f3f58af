import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackendFactory,
  BackendRegistry,
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
let registry: BackendRegistry;
let server: FlightSqlServer;
let client: FlightSqlClient;

/** A factory for an engine this suite does not configure; the registry must never start it. */
const unconfigured: BackendFactory<{ url: string }> = {
  create: () => Promise.reject(new Error('an unconfigured engine was started')),
};

beforeAll(async () => {
  registry = await BackendRegistry.start(
    { duckdb: DuckDBBackend.factory, scratch: DuckDBBackend.factory, trino: unconfigured },
    { duckdb: {}, scratch: { catalog: 'scratch' } },
  );
  server = new FlightSqlServer({
    registry,
    auth: new StaticAuthProvider(parseStaticUsers('u:p'), registry.catalogs),
  });
  const port = await server.listen('127.0.0.1', 0);
  client = await FlightSqlClient.connect({ address: `127.0.0.1:${port}`, user: 'u', password: 'p' });
  await client.executeUpdate("create table scratch.main.notes as select 'from the second engine' as text");
  await client.executeUpdate("create table duckdb.main.notes as select 'from the primary engine' as text");
});

afterAll(async () => {
  client?.close();
  await server?.close(1_000);
  await registry?.close();
});

describe(BackendRegistry.name, () => {
  it('refuses a second engine for a catalog that is already served', async () => {
    const clash = await DuckDBBackend.create({ catalog: 'scratch' });
    expect(() => new BackendRegistry(registry.backends).register(clash)).toThrow(/scratch is already served/);
    await clash.close();
  });
});

describe('routing', () => {
  it('sends a statement to the engine owning the catalog it names', async () => {
    const fromSecond = await client.query('select text from scratch.main.notes');
    expect(fromSecond.getChild('text')?.get(0)).toBe('from the second engine');
    const unqualified = await client.query('select text from notes');
    expect(unqualified.getChild('text')?.get(0)).toBe('from the primary engine');
    const plan = await client.query('explain select text from scratch.main.notes');
    expect(plan.getChild('explain_value')?.get(0)).toBe('backend=duckdb catalogs=scratch');
  });

  it('lists the catalogs of every configured engine and no other', async () => {
    const catalogs = await client.command('CommandGetCatalogs');
    expect(catalogs.getChild('catalog_name')?.toArray()).toEqual(['duckdb', 'scratch']);
  });

  it('refuses a statement that joins catalogs of two engines', async () => {
    for (const sql of [
      'select * from duckdb.main.notes a join scratch.main.notes b on true',
      'with s as (select * from "SCRATCH".main.notes) select * from duckdb.main.notes union all select * from s',
      'select (select count(*) from scratch.main.notes) as n from duckdb.main.notes',
    ])
      expect(await grpcCode(client.query(sql)), sql).toBe(status.INVALID_ARGUMENT);
    expect(
      await grpcCode(client.executeUpdate('insert into duckdb.main.notes select * from scratch.main.notes')),
    ).toBe(status.INVALID_ARGUMENT);
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

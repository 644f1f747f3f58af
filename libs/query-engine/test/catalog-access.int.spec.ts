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
import { grpcCode, platformPostgres } from './support.ts';

// One engine serving `duckdb` and a read-only `postgres`; the analyst is granted `duckdb` only.

let backend: DuckDBBackend;
let server: FlightSqlServer;
let admin: FlightSqlClient;
let analyst: FlightSqlClient;

beforeAll(async () => {
  const { libpq, extensionDirectory } = platformPostgres();
  backend = await DuckDBBackend.create({ extensionDirectory, postgres: libpq });
  const users = parseStaticUsers('admin:admin-pw analyst:analyst-pw:duckdb');
  server = new FlightSqlServer({ backend, auth: new StaticAuthProvider(users, backend.catalogs) });
  const address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  admin = await FlightSqlClient.connect({ address, user: 'admin', password: 'admin-pw' });
  analyst = await FlightSqlClient.connect({ address, user: 'analyst', password: 'analyst-pw' });
  await analyst.executeUpdate("create table duckdb.main.notes as select 'postgres.public.secrets' as text");
});

afterAll(async () => {
  admin?.close();
  analyst?.close();
  await server?.close(1_000);
  await backend?.close();
});

const PG_TABLE = 'postgres.pg_catalog.pg_namespace';

describe('catalog visibility', () => {
  it.each([
    `select * from ${PG_TABLE}`,
    'select * from "Postgres"."pg_catalog"."pg_namespace"',
    'from postgres.pg_catalog.pg_namespace',
    `with c as (select * from ${PG_TABLE}) select * from c`,
    `select (select count(*) from ${PG_TABLE}) as n`,
    `select text from notes union all select nspname from ${PG_TABLE}`,
    `select * from notes join ${PG_TABLE} on true`,
    `describe ${PG_TABLE}`,
    'show tables from postgres',
    "select * from postgres_scan('dbname=postgres', 'pg_catalog', 'pg_namespace')",
    "select * from postgres_query('postgres', 'select 1')",
    "select * from query_table('postgres.pg_catalog.pg_namespace')",
    'select * from information_schema.tables',
    'select * from duckdb_tables()',
    'select * from duckdb_columns()',
    'select database_name from duckdb_databases()',
    'show all tables',
    `explain select * from ${PG_TABLE}`,
  ])('refuses %s to a user granted only duckdb', async (sql) => {
    expect(await grpcCode(analyst.query(sql))).toBe(status.PERMISSION_DENIED);
    expect(await grpcCode(analyst.prepare(sql))).toBe(status.PERMISSION_DENIED);
  });

  it.each([
    `create table duckdb.main.copied as select * from ${PG_TABLE}`,
    `insert into notes select nspname from ${PG_TABLE}`,
    "attach 'dbname=postgres' as other (type postgres)",
    "attach ':memory:' as other",
  ])('refuses the update %s to a user granted only duckdb', async (sql) => {
    expect(await grpcCode(analyst.executeUpdate(sql))).toBe(status.PERMISSION_DENIED);
  });

  it("keeps DuckDB's default catalog out of reach: only served catalogs exist", async () => {
    for (const client of [admin, analyst]) {
      expect(await grpcCode(client.executeUpdate('create table memory.main.stash (a int)'))).toBe(
        status.NOT_FOUND,
      );
      expect(await grpcCode(client.query('select * from memory.main.stash'))).toBe(status.NOT_FOUND);
    }
    const catalogs = await admin.query('select database_name from duckdb_databases() where not internal');
    expect(catalogs.getChild('database_name')?.toArray().sort()).toEqual(['duckdb', 'postgres']);
  });

  it('refuses a session catalog the user was not granted', async () => {
    const [result] = await analyst.action(
      'SetSessionOptions',
      encode(flightType('SetSessionOptionsRequest'), {
        sessionOptions: { catalog: { stringValue: 'postgres' } },
      }),
    );
    expect(decode(flightType('SetSessionOptionsResult'), result as Uint8Array).errors).toHaveProperty(
      'catalog',
    );
    const current = await analyst.query('select current_database() as db');
    expect(current.getChild('db')?.get(0)).toBe('duckdb');
  });

  it('runs statements that mention a catalog only in literals and comments', async () => {
    const result = await analyst.query(
      "select text, 'postgres.pg_catalog.pg_namespace' as quoted from notes -- from postgres.pg_catalog.pg_namespace",
    );
    expect(result.getChild('text')?.get(0)).toBe('postgres.public.secrets');
    expect(result.getChild('quoted')?.get(0)).toBe(PG_TABLE);
    const count = await analyst.executeUpdate("insert into notes values ('postgres_scan(x)') -- postgres.x");
    expect(count).toBe(1);
  });

  it('lets a user granted every catalog of the engine list them', async () => {
    const tables = await admin.query(
      "select distinct table_catalog from information_schema.tables where table_catalog in ('duckdb', 'postgres') order by 1",
    );
    expect(tables.getChild('table_catalog')?.toArray()).toEqual(['duckdb', 'postgres']);
  });
});

describe('EXPLAIN', () => {
  it('shows the route ahead of the engine plan', async () => {
    const plan = await admin.query(`explain select count(*) from ${PG_TABLE}`);
    expect(plan.schema.fields.map((f) => f.name)).toEqual(['explain_key', 'explain_value']);
    expect(plan.getChild('explain_key')?.get(0)).toBe('route');
    expect(plan.getChild('explain_value')?.get(0)).toBe('backend=duckdb catalogs=postgres');
    expect(plan.getChild('explain_key')?.get(1)).toBe('physical_plan');
    expect(String(plan.getChild('explain_value')?.get(1))).toContain('POSTGRES_SCAN');
  });

  it('names the catalog an unqualified statement resolves in, prepared or not', async () => {
    const plan = await analyst.query('explain select * from notes');
    expect(plan.getChild('explain_value')?.get(0)).toBe('backend=duckdb catalogs=duckdb');
    const prepared = await analyst.prepare('explain select * from notes');
    const viaPrepared = await analyst.executePrepared(prepared);
    expect(viaPrepared.getChild('explain_key')?.get(0)).toBe('route');
    expect(viaPrepared.getChild('explain_value')?.get(0)).toBe('backend=duckdb catalogs=duckdb');
    await analyst.closePrepared(prepared);
  });
});

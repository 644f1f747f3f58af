import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArrowTableProgress,
  DuckDBBackend,
  FlightSqlClient,
  FlightSqlServer,
  loadFlightSqlTable,
  parseStaticUsers,
  QueryError,
  QueryErrorCode,
  StaticAuthProvider,
} from '../src/index.ts';

/** A service with its own engine behind its own Flight SQL port. */
interface Service {
  backend: DuckDBBackend;
  server: FlightSqlServer;
  address: string;
}

async function startService(users: string, setup: string[]): Promise<Service> {
  const backend = await DuckDBBackend.create({ batchBytes: 64 * 1024 });
  const server = new FlightSqlServer({
    backend,
    auth: new StaticAuthProvider(parseStaticUsers(users), backend.catalogs),
  });
  const address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  const admin = await FlightSqlClient.connect({ address, user: 'svc-a', password: 'a-secret' });
  for (const sql of setup) await admin.executeUpdate(sql);
  admin.close();
  return { backend, server, address };
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** Every table of the local engine whose name starts with `prefix`, staging tables included. */
async function tablesLike(connection: DuckDBConnection, prefix: string): Promise<string[]> {
  const result = await connection.runAndReadAll(
    `select table_name from information_schema.tables where starts_with(table_name, $prefix) order by 1`,
    { prefix },
  );
  return result.getRows().map(([name]) => String(name));
}

async function failure(promise: Promise<unknown>): Promise<QueryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QueryError);
  return error as QueryError;
}

const LARGE = 1_000_000;

// Service B publishes its assets; service A keeps readings in its own engine and joins B's assets in.
let serviceB: Service;
let engineA: DuckDBInstance;
let a: DuckDBConnection;
let b: FlightSqlClient;

beforeAll(async () => {
  serviceB = await startService('svc-a:a-secret', [
    `create table assets (asset_id integer primary key, name varchar, site varchar)`,
    `insert into assets values (1, 'pump', 'north'), (2, 'valve', 'south'), (3, 'fan', 'north')`,
  ]);
  engineA = await DuckDBInstance.create(':memory:');
  a = await engineA.connect();
  await a.run(`create table readings (asset_id integer, read_at timestamp, value double)`);
  await a.run(`insert into readings values
    (1, '2026-01-01 10:00:00', 1.5), (1, '2026-01-01 11:00:00', 2.5),
    (3, '2026-01-01 10:00:00', 7.0), (4, '2026-01-01 10:00:00', 9.9)`);
  b = await FlightSqlClient.connect({ address: serviceB.address, user: 'svc-a', password: 'a-secret' });
});

afterAll(async () => {
  b?.close();
  a?.closeSync();
  engineA?.closeSync();
  await serviceB?.server.close(1_000);
  await serviceB?.backend.close();
});

describe(loadFlightSqlTable.name, () => {
  it("lets service A's own edge serve a join of its table with service B's result", async () => {
    const serviceA = await startService('svc-a:a-secret analyst:analyst-pw:duckdb', [
      'create table readings (asset_id integer, value double)',
      'insert into readings values (1, 1.5), (2, 4.0), (3, 7.0), (3, 8.0)',
    ]);
    try {
      const loaded = await serviceA.backend.withConnection((connection) =>
        loadFlightSqlTable(connection, b, {
          sql: 'select asset_id, name from assets',
          table: 'peer_assets',
          schema: 'main',
          temporary: false,
          ifExists: 'replace',
        }),
      );
      expect(loaded.rows).toBe(3);
      const analyst = await FlightSqlClient.connect({
        address: serviceA.address,
        user: 'analyst',
        password: 'analyst-pw',
      });
      try {
        const joined = await analyst.query(
          `select p.name, sum(r.value) as total
             from readings r join peer_assets p using (asset_id)
            group by p.name order by p.name`,
        );
        expect(joined.toArray().map((row) => row.toJSON())).toEqual([
          { name: 'fan', total: 15 },
          { name: 'pump', total: 1.5 },
          { name: 'valve', total: 4 },
        ]);
      } finally {
        analyst.close();
      }
    } finally {
      await serviceA.server.close(1_000);
      await serviceA.backend.close();
    }
  });

  it("joins service A's readings with service B's assets read over Flight SQL", async () => {
    const loaded = await loadFlightSqlTable(
      a,
      { address: serviceB.address, user: 'svc-a', password: 'a-secret' },
      { sql: `select asset_id, name, site from assets where site = 'north'`, table: 'north_assets' },
    );
    expect(loaded).toMatchObject({ table: '"temp"."main"."north_assets"', rows: 2 });
    expect(loaded.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'asset_id INTEGER',
      'name VARCHAR',
      'site VARCHAR',
    ]);
    const joined = await rows(
      a,
      `select r.asset_id, n.name, r.read_at, r.value
         from readings r join north_assets n using (asset_id)
        order by r.asset_id, r.read_at`,
    );
    expect(joined).toEqual([
      { asset_id: 1, name: 'pump', read_at: '2026-01-01 10:00:00', value: 1.5 },
      { asset_id: 1, name: 'pump', read_at: '2026-01-01 11:00:00', value: 2.5 },
      { asset_id: 3, name: 'fan', read_at: '2026-01-01 10:00:00', value: 7 },
    ]);
  });

  it('creates an empty table with the peer’s columns when the result has no rows', async () => {
    const loaded = await loadFlightSqlTable(a, b, {
      sql: `select asset_id, name from assets where false`,
      table: 'no_assets',
    });
    expect(loaded.rows).toBe(0);
    const described = await rows(a, `select column_name, column_type from (describe no_assets)`);
    expect(described).toEqual([
      { column_name: 'asset_id', column_type: 'INTEGER' },
      { column_name: 'name', column_type: 'VARCHAR' },
    ]);
  });

  it('carries every column type with its values and nulls', async () => {
    const values = `
      select 1::tinyint as i8, -2::smallint as i16, 3::integer as i32, -9007199254740993::bigint as i64,
             255::utinyint as u8, 65535::usmallint as u16, 4294967295::uinteger as u32,
             18446744073709551615::ubigint as u64,
             1.5::float as f32, -2.25::double as f64,
             12.5::decimal(4,1) as d4, -123456.789::decimal(18,3) as d18,
             '-12345678901234567890.1234567890'::decimal(38,10) as d38,
             'héllo' as text, '\\x00\\xFFab'::blob as bytes, true as flag,
             date '1969-07-20' as day, time '23:59:59.123456' as clock,
             timestamp '1969-12-31 23:59:59.999999' as local_ts,
             timestamptz '2026-03-29 01:30:00.000001+05:30' as instant,
             '2026-01-02 03:04:05'::timestamp_s as ts_s, '2026-01-02 03:04:05.678'::timestamp_ms as ts_ms,
             '2026-01-02 03:04:05.123456789'::timestamp_ns as ts_ns,
             interval '1 year 2 months 3 days 04:05:06.000007' as span,
             [1, null, 3] as ints, ['a', null] as texts,
             {'k': 1, 'v': 'x'} as pair, [{'k': 2, 'v': null}] as pairs,
             map {'a': 1, 'b': null} as dict`;
    const nulls = `select ${[...values.matchAll(/ as (\w+)/g)].map(([, name]) => `null as ${name}`).join(', ')}`;
    const sql = `(${values}) union all by name (${nulls})`;
    // The same statement in A's own engine is the reference for what each value should be.
    await a.run(`create temp table reference as ${sql}`);
    const loaded = await loadFlightSqlTable(a, b, { sql, table: 'typed' });
    expect(loaded.rows).toBe(2);

    const typesOf = async (table: string) =>
      rows(a, `select column_name, column_type from (describe ${table})`);
    expect(await typesOf('typed')).toEqual(await typesOf('reference'));
    const ordered = (table: string) => `select * from ${table} order by i8 nulls last`;
    expect(await rows(a, ordered('typed'))).toEqual(await rows(a, ordered('reference')));
    // Instants stay instants: the same microseconds since the epoch, whatever zone printed them.
    expect(await rows(a, `select epoch_us(instant) as us from typed where instant is not null`)).toEqual([
      { us: String(Date.UTC(2026, 2, 28, 20, 0, 0) * 1000 + 1) },
    ]);
    expect(await rows(a, `select count(*) as n from typed where columns(*) is null`)).toEqual([{ n: '1' }]);
  });

  it('streams a large result in many batches with every row arriving', async () => {
    const progress: ArrowTableProgress[] = [];
    const loaded = await loadFlightSqlTable(a, b, {
      sql: `select range as id, range * 2 as doubled, 'row ' || range as label from range(${LARGE})`,
      table: 'large',
      onProgress: (p) => progress.push(p),
    });
    expect(loaded.rows).toBe(LARGE);
    // Appended batch by batch as they arrived, not after the whole result was in memory.
    expect(progress.length).toBe(loaded.batches);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)?.rows).toBe(LARGE);
    const n = BigInt(LARGE);
    const sum = (n * (n - 1n)) / 2n;
    expect(
      await rows(
        a,
        `select count(*) as n, sum(id) as ids, sum(doubled) as doubled, count(distinct label) as labels,
                bool_and(label = 'row ' || id) as aligned from large`,
      ),
    ).toEqual([
      { n: String(n), ids: String(sum), doubled: String(2n * sum), labels: String(n), aligned: true },
    ]);
  });

  it('answers a peer SQL error with the peer’s code and leaves no table behind', async () => {
    const error = await failure(
      loadFlightSqlTable(a, b, {
        sql: 'select * from no_such_table',
        table: 'broken',
        peerName: 'service-b',
      }),
    );
    expect(error.code).toBe(QueryErrorCode.NotFound);
    expect(error.message).toMatch(/^peer service-b: .*no_such_table/);
    expect(await tablesLike(a, 'broken')).toEqual([]);
  });

  it('drops what it appended when the load fails midway', async () => {
    let appended = 0;
    const error = await failure(
      loadFlightSqlTable(a, b, {
        sql: `select range as id from range(${LARGE})`,
        table: 'capped',
        maxRows: LARGE / 2,
        onProgress: (p) => {
          appended = p.rows;
        },
      }),
    );
    expect(error.code).toBe(QueryErrorCode.ResourceExhausted);
    expect(appended).toBeGreaterThan(0);
    expect(await tablesLike(a, 'capped')).toEqual([]);
  });

  it('answers wrong credentials with UNAUTHENTICATED', async () => {
    const error = await failure(
      loadFlightSqlTable(
        a,
        { address: serviceB.address, user: 'svc-a', password: 'wrong' },
        { sql: 'select 1 as one', table: 'denied' },
      ),
    );
    expect(error.code).toBe(QueryErrorCode.Unauthenticated);
    expect(error.message).toContain(serviceB.address);
    expect(await tablesLike(a, 'denied')).toEqual([]);
  });

  it('stops the transfer when the signal aborts, and the peer serves the next query', async () => {
    const controller = new AbortController();
    let appended = 0;
    const error = await failure(
      loadFlightSqlTable(a, b, {
        sql: `select range as id from range(${LARGE * 4})`,
        table: 'aborted',
        signal: controller.signal,
        onProgress: (p) => {
          appended = p.rows;
          if (p.batches === 2) controller.abort();
        },
      }),
    );
    expect(error.code).toBe(QueryErrorCode.Cancelled);
    expect(appended).toBeLessThan(LARGE * 4);
    expect(await tablesLike(a, 'aborted')).toEqual([]);
    const next = await loadFlightSqlTable(a, b, { sql: 'select 1 as one', table: 'after_abort' });
    expect(next.rows).toBe(1);
  });

  it('refuses an existing table before asking the peer, or replaces it atomically', async () => {
    await a.run(`create temp table kept as select 'old' as v`);
    const refused = await failure(loadFlightSqlTable(a, b, { sql: `select 'new' as v`, table: 'kept' }));
    expect(refused.code).toBe(QueryErrorCode.InvalidArgument);
    expect(refused.message).toContain('already exists');

    const broken = await failure(
      loadFlightSqlTable(a, b, { sql: 'select * from no_such_table', table: 'kept', ifExists: 'replace' }),
    );
    expect(broken.code).toBe(QueryErrorCode.NotFound);
    expect(await rows(a, 'select v from kept')).toEqual([{ v: 'old' }]);

    await loadFlightSqlTable(a, b, { sql: `select 'new' as v`, table: 'kept', ifExists: 'replace' });
    expect(await rows(a, 'select v from kept')).toEqual([{ v: 'new' }]);
  });

  it('creates a persistent table in a schema when asked', async () => {
    await a.run('create schema if not exists peer');
    const loaded = await loadFlightSqlTable(a, b, {
      sql: 'select asset_id from assets order by asset_id',
      table: 'asset_ids',
      temporary: false,
      schema: 'peer',
    });
    expect(loaded.table).toBe('"peer"."asset_ids"');
    expect(await rows(a, 'select asset_id from memory.peer.asset_ids order by 1')).toEqual([
      { asset_id: 1 },
      { asset_id: 2 },
      { asset_id: 3 },
    ]);
  });
});

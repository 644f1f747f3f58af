import { status } from '@grpc/grpc-js';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { Int32, makeTable, Table, tableFromArrays, Utf8, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuckDBBackend,
  decode,
  decodeSchema,
  encode,
  FlightSqlClient,
  FlightSqlServer,
  flightType,
  packAny,
  parseStaticUsers,
  StaticAuthProvider,
} from '../src/index.ts';

const platform = readPlatformEnv();
const postgresUrl = new URL(platform.OPENFOUNDRY_PG_ADMIN_URL);
const libpq = `host=${postgresUrl.hostname} port=${postgresUrl.port || 5432} dbname=${postgresUrl.pathname.slice(1)} user=${decodeURIComponent(postgresUrl.username)} password=${decodeURIComponent(postgresUrl.password)}`;

let backend: DuckDBBackend;
let server: FlightSqlServer;
let address: string;
let client: FlightSqlClient;

async function connect(user = 'admin', password = 'admin-pw') {
  return FlightSqlClient.connect({ address, user, password });
}

async function grpcCode(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

beforeAll(async () => {
  backend = await DuckDBBackend.create({
    extensionDirectory: platform.OPENFOUNDRY_DUCKDB_EXTENSION_DIR,
    postgres: libpq,
    batchBytes: 256 * 1024,
  });
  const users = parseStaticUsers('admin:admin-pw analyst:analyst-pw:duckdb');
  server = new FlightSqlServer({ backend, auth: new StaticAuthProvider(users, backend.catalogs) });
  address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  client = await connect();
});

afterAll(async () => {
  client?.close();
  await server?.close(1_000);
  await backend?.close();
});

describe('handshake', () => {
  it('exchanges basic credentials for a bearer token that works on other connections', async () => {
    const other = await FlightSqlClient.connect({ address, token: client.bearerToken as string });
    const result = await other.query('select 42 as answer');
    expect(result.getChild('answer')?.get(0)).toBe(42);
    other.close();
  });

  it('answers UNAUTHENTICATED to a wrong password and to a call without a token', async () => {
    expect(await grpcCode(connect('admin', 'wrong'))).toBe(status.UNAUTHENTICATED);
    const anonymous = await FlightSqlClient.connect({ address });
    expect(await grpcCode(anonymous.query('select 1'))).toBe(status.UNAUTHENTICATED);
    anonymous.close();
  });

  it('serves many parallel connections with one token', async () => {
    const clients = await Promise.all(
      Array.from({ length: 8 }, () =>
        FlightSqlClient.connect({ address, token: client.bearerToken as string }),
      ),
    );
    const results = await Promise.all(clients.map((c, i) => c.query(`select ${i} as i`)));
    expect(results.map((r) => r.getChild('i')?.get(0))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const c of clients) c.close();
  });
});

describe('statements', () => {
  it('streams a large result in several record batches', async () => {
    let rows = 0;
    let batches = 0;
    for await (const batch of client.stream(
      "select range as id, 'row ' || range as label from range(300000)",
    )) {
      rows += batch.numRows;
      batches++;
    }
    expect(rows).toBe(300_000);
    expect(batches).toBeGreaterThan(1);
  });

  it('re-reads a ticket', async () => {
    const info = await client.getFlightInfo('CommandStatementQuery', { query: 'select 7 as seven' });
    const ticket = (
      (info.endpoint as { ticket: { ticket: Uint8Array } }[])[0] as { ticket: { ticket: Uint8Array } }
    ).ticket.ticket;
    for (let i = 0; i < 2; i++) {
      const batches = [];
      for await (const batch of client.doGet(ticket)) batches.push(batch);
      expect(new Table(batches).getChild('seven')?.get(0)).toBe(7);
    }
  });

  it('maps engine errors to gRPC statuses and keeps serving', async () => {
    expect(await grpcCode(client.query('selec 1'))).toBe(status.INVALID_ARGUMENT);
    expect(await grpcCode(client.query('select * from no_such_table'))).toBe(status.NOT_FOUND);
    const substrait = packAny(
      'type.googleapis.com/arrow.flight.protocol.sql.CommandStatementSubstraitPlan',
      new Uint8Array(),
    );
    expect(await grpcCode(client.getFlightInfoFor(substrait))).toBe(status.UNIMPLEMENTED);
    expect((await client.query('select 1 as ok')).numRows).toBe(1);
  });

  it('sends sums of integers (HUGEINT) as a number', async () => {
    const result = await client.query('select sum(range) as total from range(10)');
    expect(String(result.schema.fields[0]?.type)).toBe('Decimal[38e0]');
    const words = result.getChild('total')?.data[0]?.values as Uint32Array | undefined;
    expect(words?.[0]).toBe(45);
  });

  it('runs updates through DoPut', async () => {
    expect(await client.executeUpdate('create table people (id integer primary key, name varchar)')).toBe(0);
    expect(await client.executeUpdate("insert into people values (1, 'ada'), (2, 'grace')")).toBe(2);
    const result = await client.query('select name from people order by id');
    expect(result.getChild('name')?.toArray()).toEqual(['ada', 'grace']);
  });

  it('reads the postgres catalog and refuses writes to it', async () => {
    const result = await client.query(
      "select count(*) as n from postgres.information_schema.tables where table_schema = 'pg_catalog'",
    );
    expect(Number(result.getChild('n')?.get(0))).toBeGreaterThan(0);
    expect(await grpcCode(client.executeUpdate('create table postgres.public.nope (i int)'))).toBe(
      status.PERMISSION_DENIED,
    );
  });
});

describe('prepared statements', () => {
  it('describes without running, binds parameters and closes twice harmlessly', async () => {
    await client.executeUpdate('create table if not exists counter (n integer)');
    const statement = await client.prepare('insert into counter values (1) returning n');
    expect(statement.datasetSchema.fields.map((f) => f.name)).toEqual(['n']);
    expect((await client.query('select count(*) as c from counter')).getChild('c')?.get(0)).toBe(0n);
    await client.closePrepared(statement);

    const query = await client.prepare('select id, name from people where id = ?');
    expect(query.parameterSchema.fields).toHaveLength(1);
    await client.bind(query, tableFromArrays({ id: Int32Array.from([2]) }));
    const result = await client.executePrepared(query);
    expect(result.getChild('name')?.toArray()).toEqual(['grace']);
    await client.closePrepared(query);
    await client.closePrepared(query);
  });

  it('gives DML an empty dataset schema, so drivers run it as an update', async () => {
    const insert = await client.prepare('insert into people values (?, ?)');
    expect(insert.datasetSchema.fields).toHaveLength(0);
    await client.closePrepared(insert);
    const returning = await client.prepare("insert into people values (99, 'z') returning name");
    expect(returning.datasetSchema.fields.map((f) => f.name)).toEqual(['name']);
    await client.closePrepared(returning);
  });

  it('reports the result schema of untyped parameters once they are bound', async () => {
    const statement = await client.prepare('select ? as anything');
    await client.bind(statement, tableFromArrays({ p: Int32Array.from([5]) }));
    const info = await client.getFlightInfo('CommandPreparedStatementQuery', {
      preparedStatementHandle: statement.handle,
    });
    const result = await client.executePrepared(statement);
    expect(result.getChild('anything')?.get(0)).toBe(5);
    expect(info.schema).toBeDefined();
    await client.closePrepared(statement);
  });

  it('binds parameters with the type the client sent', async () => {
    const statement = await client.prepare('select ? + 1 as x');
    await client.bind(statement, tableFromArrays({ p: BigInt64Array.from([41n]) }));
    const result = await client.executePrepared(statement);
    expect(String(result.schema.fields[0]?.type)).toBe('Int64');
    expect(result.getChild('x')?.get(0)).toBe(42n);
    await client.closePrepared(statement);
  });

  it('runs a prepared update once per bound row', async () => {
    const insert = await client.prepare('insert into people values (?, ?)');
    const rows = makeTable({
      id: vectorFromArray([10, 11], new Int32()).data[0] as never,
      name: vectorFromArray(['x', 'y'], new Utf8()).data[0] as never,
    });
    expect(await client.executePreparedUpdate(insert, rows)).toBe(2);
    await client.closePrepared(insert);
  });
});

describe('metadata', () => {
  it('lists only the catalogs granted to the user', async () => {
    const analyst = await connect('analyst', 'analyst-pw');
    const catalogs = await analyst.command('CommandGetCatalogs');
    expect(catalogs.getChild('catalog_name')?.toArray()).toEqual(['duckdb']);
    expect(await grpcCode(analyst.query('select 1 from postgres.information_schema.tables'))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(await grpcCode(analyst.query("select * from postgres_query('postgres', 'select 1')"))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(await grpcCode(analyst.executeUpdate("attach ':memory:' as sneaky"))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(await grpcCode(analyst.query("select * from read_csv('/etc/hostname')"))).toBe(
      status.PERMISSION_DENIED,
    );
    analyst.close();
    const all = await client.command('CommandGetCatalogs');
    expect(all.getChild('catalog_name')?.toArray()).toEqual(['duckdb', 'postgres']);
  });

  it('filters tables by pattern and type and includes their schemas', async () => {
    const tables = await client.command('CommandGetTables', {
      catalog: 'duckdb',
      tableNameFilterPattern: 'peop%',
      tableTypes: ['TABLE'],
      includeSchema: true,
    });
    expect(tables.getChild('table_name')?.toArray()).toEqual(['people']);
    expect(tables.schema.fields.map((f) => f.name)).toEqual([
      'catalog_name',
      'db_schema_name',
      'table_name',
      'table_type',
      'table_schema',
    ]);
  });

  it('marks NOT NULL columns in table schemas and carries decimal precision in column metadata', async () => {
    await client.executeUpdate('create table ledger (id integer not null, amount decimal(18,3))');
    const tables = await client.command('CommandGetTables', {
      tableNameFilterPattern: 'ledger',
      includeSchema: true,
    });
    const schema = decodeSchema(tables.getChild('table_schema')?.get(0) as Uint8Array);
    expect(schema.fields.map((f) => f.nullable)).toEqual([false, true]);
    expect(schema.fields[1]?.metadata.get('ARROW:FLIGHT:SQL:PRECISION')).toBe('18');
    expect(schema.fields[1]?.metadata.get('ARROW:FLIGHT:SQL:SCALE')).toBe('3');
    expect(schema.fields[0]?.metadata.get('ARROW:FLIGHT:SQL:TABLE_NAME')).toBe('ledger');
  });

  it('resolves unqualified names in the session catalog', async () => {
    const session = await connect();
    const [result] = await session.action(
      'SetSessionOptions',
      encode(flightType('SetSessionOptionsRequest'), {
        sessionOptions: { catalog: { stringValue: 'postgres' } },
      }),
    );
    expect(decode(flightType('SetSessionOptionsResult'), result as Uint8Array).errors).toEqual({});
    const current = await session.query('select current_database() as db');
    expect(current.getChild('db')?.get(0)).toBe('postgres');
    session.close();
  });

  it('reports primary keys and the exact foreign-key schema', async () => {
    const keys = await client.command('CommandGetPrimaryKeys', { table: 'people' });
    expect(keys.getChild('column_name')?.toArray()).toEqual(['id']);
    const imported = await client.command('CommandGetImportedKeys', { table: 'people' });
    expect(imported.schema.fields.map((f) => f.name)).toContain('update_rule');
  });

  it('answers GetSqlInfo and GetXdbcTypeInfo', async () => {
    const info = await client.command('CommandGetSqlInfo', { info: [0, 504] });
    expect(info.getChild('info_name')?.toArray()).toEqual(new Uint32Array([0, 504]));
    const types = await client.command('CommandGetXdbcTypeInfo', { dataType: 12 });
    expect(types.getChild('type_name')?.toArray()).toEqual(['VARCHAR', 'UUID']);
  });
});

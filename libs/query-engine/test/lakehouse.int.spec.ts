import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { status } from '@grpc/grpc-js';
import { readPlatformEnv, serviceManifests } from '@openfoundry/infra-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuckDBBackend,
  decodeSchema,
  encode,
  FlightSqlClient,
  FlightSqlServer,
  flightType,
  parseStaticUsers,
  StaticAuthProvider,
} from '../src/index.ts';
import { grpcCode, platformPostgres } from './support.ts';

// The `lakehouse` catalog end to end: the platform's Iceberg REST catalog (its built service, on a
// throwaway database and the platform's S3 server) attached to the DuckDB engine behind a real
// Flight SQL server, driven by the Flight SQL client.

const TOKEN = 'dev-acme-token';
const run = Date.now().toString(36);
const namespace = `acme.lakehouse_${run}`;
const table = (name: string) => `lakehouse."${namespace}".${name}`;

interface Catalog {
  url: string;
  child: ChildProcess;
  output: () => string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs SQL on the platform's Postgres as its admin, through DuckDB's postgres scanner. */
async function onPostgres(sql: string): Promise<void> {
  const { libpq, extensionDirectory } = platformPostgres();
  const duckdb = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    ...(extensionDirectory ? { extension_directory: extensionDirectory } : {}),
  });
  const connection = await duckdb.connect();
  try {
    await connection.run('LOAD postgres');
    await connection.run(`ATTACH '${libpq.replaceAll("'", "''")}' AS admin (TYPE postgres)`);
    await connection.run(
      `CALL postgres_execute('admin', '${sql.replaceAll("'", "''")}', use_transaction := false)`,
    );
  } finally {
    connection.closeSync();
    duckdb.closeSync();
  }
}

/** The catalog service as the supervisor runs it: its built entry point, configured by env. */
async function startCatalog(database: string): Promise<Catalog> {
  const manifest = serviceManifests().find((m) => m.name === 'iceberg-catalog-service');
  if (!manifest) throw new Error('services/iceberg-catalog-service/service.json not found');
  const main = (JSON.parse(readFileSync(join(manifest.dir, 'package.json'), 'utf8')) as { main: string })
    .main;
  const platform = readPlatformEnv();
  const admin = new URL(platform.OPENFOUNDRY_PG_ADMIN_URL);
  admin.pathname = `/${database}`;
  const port = await freePort();
  const child = spawn(process.execPath, [join(manifest.dir, main)], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: admin.toString(),
      PORT: String(port),
      HOST: '127.0.0.1',
      CATALOG_TOKENS: `${TOKEN}=acme`,
      OPENFOUNDRY_S3_ENDPOINT: platform.OPENFOUNDRY_S3_ENDPOINT,
      OPENFOUNDRY_S3_REGION: platform.OPENFOUNDRY_S3_REGION,
      OPENFOUNDRY_S3_ACCESS_KEY: platform.OPENFOUNDRY_S3_ACCESS_KEY,
      OPENFOUNDRY_S3_SECRET_KEY: platform.OPENFOUNDRY_S3_SECRET_KEY,
      OPENFOUNDRY_S3_WAREHOUSE_BUCKET: platform.OPENFOUNDRY_S3_WAREHOUSE_BUCKET,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the catalog exited before it was ready:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { url, child, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface Snapshot {
  id: string;
  timestampMs: number;
}

/** The table's snapshots as the catalog records them, ids digit for digit (they exceed 2^53). */
async function snapshots(catalog: Catalog, name: string): Promise<Snapshot[]> {
  const response = await fetch(
    `${catalog.url}/v1/warehouse/namespaces/${encodeURIComponent(namespace.replaceAll('.', '\x1f'))}/tables/${name}`,
    { headers: { authorization: `Bearer ${TOKEN}` } },
  );
  expect(response.status).toBe(200);
  const body = JSON.parse(await response.text(), (key, value, context?: { source?: string }) =>
    key === 'snapshot-id' ? context?.source : value,
  ) as { metadata: { snapshots: { 'snapshot-id': string; 'timestamp-ms': number }[] } };
  return body.metadata.snapshots
    .map((s) => ({ id: s['snapshot-id'], timestampMs: s['timestamp-ms'] }))
    .sort((a, b) => a.timestampMs - b.timestampMs);
}

const isoMs = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

let database: string;
let catalog: Catalog;
let backend: DuckDBBackend;
let server: FlightSqlServer;
let admin: FlightSqlClient;
let analyst: FlightSqlClient;
let lakeOnly: FlightSqlClient;

beforeAll(async () => {
  database = `of_lakehouse_${run}`;
  await onPostgres(`CREATE DATABASE ${database}`);
  catalog = await startCatalog(database);
  backend = await DuckDBBackend.create({
    extensionDirectory: platformPostgres().extensionDirectory,
    lakehouse: { endpoint: catalog.url, warehouse: 'warehouse', token: TOKEN },
  });
  const users = parseStaticUsers('admin:admin-pw analyst:analyst-pw:duckdb lake:lake-pw:lakehouse');
  server = new FlightSqlServer({ backend, auth: new StaticAuthProvider(users, backend.catalogs) });
  const address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  admin = await FlightSqlClient.connect({ address, user: 'admin', password: 'admin-pw' });
  analyst = await FlightSqlClient.connect({ address, user: 'analyst', password: 'analyst-pw' });
  lakeOnly = await FlightSqlClient.connect({ address, user: 'lake', password: 'lake-pw' });
  // Written through the edge: DuckDB's iceberg extension commits through the catalog.
  await admin.executeUpdate('create schema if not exists lakehouse.acme');
  await admin.executeUpdate(`create schema lakehouse."${namespace}"`);
  await admin.executeUpdate(`create table ${table('sites')} (id bigint, name varchar, reading double)`);
  await admin.executeUpdate(`insert into ${table('sites')} values (1, 'north', 1.5), (2, 'south', 2.5)`);
  await admin.executeUpdate(`insert into ${table('sites')} values (3, 'east', 3.5)`);
  await admin.executeUpdate(`create table duckdb.main.owners (site_id bigint, owner varchar)`);
  await admin.executeUpdate(`insert into duckdb.main.owners values (1, 'ada'), (3, 'grace')`);
}, 120_000);

afterAll(async () => {
  for (const client of [admin, analyst, lakeOnly]) client?.close();
  await server?.close(1_000);
  await backend?.close();
  if (catalog) {
    // The warehouse bucket is shared: the catalog deletes what this suite wrote.
    const path = `${catalog.url}/v1/warehouse/namespaces/${encodeURIComponent(namespace.replaceAll('.', '\x1f'))}`;
    const headers = { authorization: `Bearer ${TOKEN}` };
    await fetch(`${path}/tables/sites?purgeRequested=true`, { method: 'DELETE', headers });
    await fetch(path, { method: 'DELETE', headers });
  }
  if (catalog && catalog.child.exitCode === null) {
    const exited = new Promise((resolve) => catalog.child.once('exit', resolve));
    catalog.child.kill('SIGTERM');
    await exited;
  }
  if (database) await onPostgres(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

describe('the lakehouse catalog', () => {
  it('answers queries over Iceberg tables in DuckDB', async () => {
    const result = await admin.query(`select id, name, reading from ${table('sites')} order by id`);
    expect(result.toArray().map((row) => row.toJSON())).toEqual([
      { id: 1n, name: 'north', reading: 1.5 },
      { id: 2n, name: 'south', reading: 2.5 },
      { id: 3n, name: 'east', reading: 3.5 },
    ]);
  });

  it('joins a lakehouse table with a duckdb table in one statement', async () => {
    const result = await admin.query(
      `select s.name, o.owner from ${table('sites')} s join duckdb.main.owners o on o.site_id = s.id order by s.id`,
    );
    expect(result.toArray().map((row) => row.toJSON())).toEqual([
      { name: 'north', owner: 'ada' },
      { name: 'east', owner: 'grace' },
    ]);
  });

  it('reads a table as of a snapshot id and as of a timestamp', async () => {
    const [first, second] = await snapshots(catalog, 'sites');
    expect(first && second).toBeTruthy();
    const count = async (at: string) =>
      Number(
        (await admin.query(`select count(*) as n from ${table('sites')} at (${at})`)).getChild('n')?.get(0),
      );
    expect(await count(`version => ${first?.id}`)).toBe(2);
    expect(await count(`version => ${second?.id}`)).toBe(3);
    expect(await count(`timestamp => timestamptz '${isoMs(first?.timestampMs as number)}+00'`)).toBe(2);
    expect(await count(`timestamp => timestamptz '${isoMs(second?.timestampMs as number)}+00'`)).toBe(3);
  });

  it('lists namespaces as schemas and tables with their columns', async () => {
    const catalogs = await admin.command('CommandGetCatalogs');
    expect(catalogs.getChild('catalog_name')?.toArray()).toEqual(['duckdb', 'lakehouse']);
    const schemas = await admin.command('CommandGetDbSchemas', { catalog: 'lakehouse' });
    expect(schemas.getChild('db_schema_name')?.toArray()).toEqual(
      expect.arrayContaining(['acme', namespace]),
    );
    const tables = await admin.command('CommandGetTables', {
      catalog: 'lakehouse',
      dbSchemaFilterPattern: namespace,
      includeSchema: true,
    });
    expect(tables.getChild('table_name')?.toArray()).toEqual(['sites']);
    expect(tables.getChild('table_type')?.toArray()).toEqual(['TABLE']);
    const schema = decodeSchema(tables.getChild('table_schema')?.get(0) as Uint8Array);
    expect(schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ['id', 'Int64'],
      ['name', 'Utf8'],
      ['reading', 'Float64'],
    ]);
    expect(schema.fields[0]?.metadata.get('ARROW:FLIGHT:SQL:CATALOG_NAME')).toBe('lakehouse');
    expect(schema.fields[0]?.metadata.get('ARROW:FLIGHT:SQL:DB_SCHEMA_NAME')).toBe(namespace);
    expect(schema.fields[0]?.metadata.get('ARROW:FLIGHT:SQL:TABLE_NAME')).toBe('sites');
  });

  it('resolves unqualified names in a namespace chosen as the session schema', async () => {
    const [result] = await lakeOnly.action(
      'SetSessionOptions',
      encode(flightType('SetSessionOptionsRequest'), {
        sessionOptions: { catalog: { stringValue: 'lakehouse' }, schema: { stringValue: namespace } },
      }),
    );
    expect(result).toBeDefined();
    const rows = await lakeOnly.query('select count(*) as n from sites');
    expect(Number(rows.getChild('n')?.get(0))).toBe(3);
  });
});

describe('grants on the lakehouse', () => {
  it('shows the lakehouse only to users granted it', async () => {
    expect((await analyst.command('CommandGetCatalogs')).getChild('catalog_name')?.toArray()).toEqual([
      'duckdb',
    ]);
    expect((await analyst.command('CommandGetTables', { catalog: 'lakehouse' })).numRows).toBe(0);
    expect((await lakeOnly.command('CommandGetCatalogs')).getChild('catalog_name')?.toArray()).toEqual([
      'lakehouse',
    ]);
  });

  it.each([
    `select * from ${table('sites')}`,
    `select * from ${table('sites')} at (timestamp => now())`,
    `select * from duckdb.main.owners o join ${table('sites')} s on o.site_id = s.id`,
  ])('refuses %s to a user granted only duckdb', async (sql) => {
    expect(await grpcCode(analyst.query(sql))).toBe(status.PERMISSION_DENIED);
  });

  it("answers another tenant's namespace with PERMISSION_DENIED and the catalog's reason, an unknown table with NOT_FOUND", async () => {
    // The edge reaches the catalog as tenant acme (its token): globex's tables are not its to read.
    const foreign = admin.query('select * from lakehouse."globex.telemetry".asset_events');
    expect(await grpcCode(foreign)).toBe(status.PERMISSION_DENIED);
    await expect(admin.query('select * from lakehouse."globex.telemetry".asset_events')).rejects.toThrow(
      /may not access namespace globex\.telemetry/,
    );
    expect(await grpcCode(admin.query(`select * from ${table('no_such_table')}`))).toBe(status.NOT_FOUND);
  });

  it('refuses writes to the lakehouse to a user granted only duckdb', async () => {
    expect(await grpcCode(analyst.executeUpdate(`insert into ${table('sites')} values (9, 'x', 0)`))).toBe(
      status.PERMISSION_DENIED,
    );
  });

  it('refuses duckdb tables to a user granted only the lakehouse', async () => {
    expect(await grpcCode(lakeOnly.query('select * from duckdb.main.owners'))).toBe(status.PERMISSION_DENIED);
  });

  it.each([
    "select * from read_parquet('s3://warehouse/acme/**/*.parquet')",
    "select * from 's3://warehouse/acme/x.parquet'",
    "select * from duckdb.main.owners, E's3://warehouse/acme/x.parquet'",
    'select * from "s3://warehouse/acme/x.parquet"',
    `select * from iceberg_snapshots('${table('sites').replaceAll("'", "''")}')`,
    "select * from glob('s3://warehouse/*')",
  ])('refuses files named by path (%s), whoever asks', async (sql) => {
    for (const client of [admin, analyst])
      expect(await grpcCode(client.query(sql))).toBe(status.PERMISSION_DENIED);
  });

  it('refuses COPY, which would write into the warehouse', async () => {
    expect(
      await grpcCode(admin.executeUpdate("copy duckdb.main.owners to 's3://warehouse/acme/owners.parquet'")),
    ).toBe(status.PERMISSION_DENIED);
  });

  it('still answers literals that merely look like paths', async () => {
    const rows = await analyst.query(
      "select 's3://warehouse/x' as path, 1 as n from duckdb.main.owners limit 1",
    );
    expect(rows.getChild('path')?.get(0)).toBe('s3://warehouse/x');
  });
});

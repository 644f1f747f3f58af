import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACME_TOKEN,
  deleteFromWarehouse,
  type PytestRun,
  type RunningCatalog,
  runPytest,
  startCatalog,
} from './catalog-app.ts';

/**
 * DuckDB's iceberg extension (from the platform's extension cache, as libs/query-engine loads it)
 * attached to the catalog: it reads what PyIceberg wrote, and PyIceberg reads what it wrote.
 */
describe('DuckDB and PyIceberg through the catalog', () => {
  let catalog: RunningCatalog;
  let duckdb: DuckDBInstance;
  let connection: DuckDBConnection;
  let written: PytestRun;
  const schema = `interop_${Date.now().toString(36)}`;
  const table = (name: string) => `lake."acme.${schema}".${name}`;
  const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson();
  const pytest = (test: string) =>
    runPytest([`test_duckdb_interop.py::${test}`], {
      CATALOG_URI: catalog.url,
      CATALOG_TOKEN: ACME_TOKEN,
      CATALOG_SHARED_NAMESPACE: `acme.${schema}`,
    });

  beforeAll(async () => {
    catalog = await startCatalog({ listen: true });
    for (const namespace of [['acme'], ['acme', schema]]) {
      const created = await catalog.app.inject({
        method: 'POST',
        url: '/v1/warehouse/namespaces',
        headers: { authorization: `Bearer ${ACME_TOKEN}` },
        payload: { namespace },
      });
      expect(created.statusCode).toBe(200);
    }
    written = await pytest('test_write_tables_for_duckdb');
    duckdb = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      extension_directory: readPlatformEnv().OPENFOUNDRY_DUCKDB_EXTENSION_DIR,
    });
    connection = await duckdb.connect();
    for (const extension of ['httpfs', 'avro', 'iceberg']) await connection.run(`LOAD ${extension}`);
    await connection.run(`CREATE SECRET catalog_token (TYPE iceberg, TOKEN '${ACME_TOKEN}')`);
    await connection.run(
      `ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT '${catalog.url}', SECRET catalog_token)`,
    );
  }, 20 * 60_000);

  afterAll(async () => {
    connection?.closeSync();
    duckdb?.closeSync();
    await catalog?.close();
    await deleteFromWarehouse([`acme/${schema}`]);
  });

  it('PyIceberg writes a table with two appends and a renamed column', () => {
    expect(written.results.get('test_write_tables_for_duckdb')?.ok, written.output).toBe(true);
  });

  it('DuckDB reads the table PyIceberg wrote, under its current schema', async () => {
    expect(await rows(`SELECT id, site, reading FROM ${table('from_pyiceberg')} ORDER BY id`)).toEqual([
      { id: '1', site: 'north', reading: 1.5 },
      { id: '2', site: 'south', reading: 2.5 },
      { id: '3', site: 'north', reading: 3.5 },
    ]);
    expect(
      await rows(`SELECT count(*)::INT AS n FROM ${table('from_pyiceberg')} WHERE site = 'north'`),
    ).toEqual([{ n: 2 }]);
  });

  it('DuckDB creates a table and inserts twice; PyIceberg reads every row', async () => {
    await connection.run(`CREATE TABLE ${table('from_duckdb')} (id BIGINT, label VARCHAR)`);
    await connection.run(`INSERT INTO ${table('from_duckdb')} VALUES (1, 'x'), (2, 'y')`);
    await connection.run(`INSERT INTO ${table('from_duckdb')} VALUES (3, 'z')`);
    const read = await pytest('test_read_table_duckdb_wrote');
    expect(read.results.get('test_read_table_duckdb_wrote')?.ok, read.output).toBe(true);
  });
});

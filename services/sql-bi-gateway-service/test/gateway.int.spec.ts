import { status } from '@grpc/grpc-js';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { FlightSqlClient } from '@openfoundry/query-engine';
import {
  createTestApp,
  createTestDatabase,
  type TestApp,
  type TestDatabase,
} from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { sqlGatewayConfigSchema } from '../src/config.ts';
import { FlightSqlEdge } from '../src/flight-sql/flight-sql-edge.ts';
import { sqlBiGatewayService } from '../src/service.ts';

let database: TestDatabase;
let app: TestApp<typeof sqlGatewayConfigSchema>;
let address: string;

beforeAll(async () => {
  database = await createTestDatabase('of_sqlgw');
  app = await createTestApp(sqlBiGatewayService, {
    env: {
      DATABASE_URL: database.url,
      FLIGHT_SQL_PORT: '0',
      OPENFOUNDRY_SQL_USERS: 'bi:bi-pw reader:reader-pw:duckdb',
      OPENFOUNDRY_DUCKDB_EXTENSION_DIR: readPlatformEnv().OPENFOUNDRY_DUCKDB_EXTENSION_DIR,
    },
  });
  address = `127.0.0.1:${app.app.get(FlightSqlEdge).port}`;
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describe('sql-bi-gateway-service', () => {
  it('is ready once the gRPC server listens and DuckDB answers', async () => {
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(200);
    expect(response.json().checks).toMatchObject({ 'flight-sql': 'ok', database: 'ok' });
  });

  it('tells clients where and how to connect, without credentials', async () => {
    const response = await app.inject('/connection');
    expect(response.statusCode).toBe(200);
    const port = app.app.get(FlightSqlEdge).port;
    expect(response.json()).toEqual({
      flightSql: {
        host: '127.0.0.1',
        port,
        tls: false,
        uri: `grpc://127.0.0.1:${port}`,
        jdbcUrl: `jdbc:arrow-flight-sql://127.0.0.1:${port}/?useEncryption=false`,
      },
      authentication: expect.stringContaining('bearer token'),
      catalogs: ['duckdb', 'postgres'],
    });
    expect(response.body).not.toContain('bi-pw');
  });

  it('answers queries for the configured users only', async () => {
    const client = await FlightSqlClient.connect({ address, user: 'bi', password: 'bi-pw' });
    const result = await client.query("select 'hello' as greeting");
    expect(result.getChild('greeting')?.get(0)).toBe('hello');
    client.close();
    await expect(FlightSqlClient.connect({ address, user: 'bi', password: 'nope' })).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it('exposes its own database read-only as the postgres catalog, to granted users', async () => {
    const client = await FlightSqlClient.connect({ address, user: 'bi', password: 'bi-pw' });
    const tables = await client.query(
      "select table_name from postgres.information_schema.tables where table_schema = 'public' order by 1",
    );
    expect(tables.getChild('table_name')?.toArray()).toContain('catalog_grants');
    await expect(client.executeUpdate('delete from postgres.public.catalog_grants')).rejects.toHaveProperty(
      'code',
    );
    client.close();

    const reader = await FlightSqlClient.connect({ address, user: 'reader', password: 'reader-pw' });
    const catalogs = await reader.command('CommandGetCatalogs');
    expect(catalogs.getChild('catalog_name')?.toArray()).toEqual(['duckdb']);
    reader.close();
  });
});

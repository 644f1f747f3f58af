import { ConfigError, loadConfig } from '@openfoundry/service-kit';
import { describe, expect, it } from 'vitest';
import { lakehouseOptions, libpqConnectionString, sqlGatewayConfigSchema } from './config.ts';

const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/sql_bi_gateway' };

describe('sqlGatewayConfigSchema', () => {
  it('listens for Flight SQL on 50133 by default', () => {
    const config = loadConfig(sqlGatewayConfigSchema, base);
    expect(config.FLIGHT_SQL_PORT).toBe(50_133);
    expect(config.SQL_POSTGRES_CATALOG).toBe(true);
  });

  it('names a malformed user list at boot', () => {
    expect(() =>
      loadConfig(sqlGatewayConfigSchema, { ...base, OPENFOUNDRY_SQL_USERS: 'nopassword' }),
    ).toThrow(ConfigError);
    expect(() =>
      loadConfig(sqlGatewayConfigSchema, { ...base, OPENFOUNDRY_SQL_USERS: 'nopassword' }),
    ).toThrow(/OPENFOUNDRY_SQL_USERS/);
  });
});

describe('lakehouseOptions', () => {
  const lakehouse = {
    SQL_LAKEHOUSE_CATALOG_URL: 'http://127.0.0.1:8181',
    SQL_LAKEHOUSE_TOKEN: 'dev-acme-token',
  };

  it('serves no lakehouse unless a catalog URL is set', () => {
    expect(lakehouseOptions(loadConfig(sqlGatewayConfigSchema, base))).toBeUndefined();
  });

  it('reads the catalog, its token and the warehouse', () => {
    expect(lakehouseOptions(loadConfig(sqlGatewayConfigSchema, { ...base, ...lakehouse }))).toEqual({
      endpoint: 'http://127.0.0.1:8181',
      token: 'dev-acme-token',
      warehouse: 'warehouse',
      connectTimeoutMs: 60_000,
    });
  });

  it('names the missing token or a bad catalog URL at boot', () => {
    const withoutToken = loadConfig(sqlGatewayConfigSchema, {
      ...base,
      SQL_LAKEHOUSE_CATALOG_URL: 'http://127.0.0.1:8181',
    });
    expect(() => lakehouseOptions(withoutToken)).toThrow(ConfigError);
    expect(() => lakehouseOptions(withoutToken)).toThrow(/SQL_LAKEHOUSE_TOKEN/);
    expect(() =>
      loadConfig(sqlGatewayConfigSchema, { ...base, ...lakehouse, SQL_LAKEHOUSE_CATALOG_URL: 'ftp://x' }),
    ).toThrow(/SQL_LAKEHOUSE_CATALOG_URL/);
    expect(() =>
      loadConfig(sqlGatewayConfigSchema, { ...base, ...lakehouse, SQL_LAKEHOUSE_WAREHOUSE: 'Not A Bucket' }),
    ).toThrow(/SQL_LAKEHOUSE_WAREHOUSE/);
  });
});

describe('libpqConnectionString', () => {
  it('quotes values and decodes the URL', () => {
    expect(libpqConnectionString("postgres://us%40r:p'w@db.local:6543/my_db")).toBe(
      "host='db.local' port=6543 dbname='my_db' user='us@r' password='p\\'w'",
    );
  });
});

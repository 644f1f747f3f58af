import { ConfigError, loadConfig } from '@openfoundry/service-kit';
import { describe, expect, it } from 'vitest';
import { libpqConnectionString, sqlGatewayConfigSchema } from './config.ts';

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

describe('libpqConnectionString', () => {
  it('quotes values and decodes the URL', () => {
    expect(libpqConnectionString("postgres://us%40r:p'w@db.local:6543/my_db")).toBe(
      "host='db.local' port=6543 dbname='my_db' user='us@r' password='p\\'w'",
    );
  });
});

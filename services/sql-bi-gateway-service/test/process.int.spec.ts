import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { FlightSqlClient } from '@openfoundry/query-engine';
import {
  createTestDatabase,
  freePort,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built service as an operator runs it: a real process, real signals, real exit codes.
const entry = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

const startService = (env: Record<string, string>) => startServiceProcess(entry, env);

describe('the sql-bi-gateway-service process', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    expect(existsSync(entry), `${entry} is missing: build the service first`).toBe(true);
    database = await createTestDatabase('of_sqlgw_proc');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('finishes a stream in flight on SIGTERM, then exits 0', async () => {
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const run = startService({
      DATABASE_URL: database.url,
      PORT: String(httpPort),
      FLIGHT_SQL_PORT: String(grpcPort),
      OPENFOUNDRY_DUCKDB_EXTENSION_DIR: readPlatformEnv().OPENFOUNDRY_DUCKDB_EXTENSION_DIR,
      SQL_BATCH_BYTES: String(64 * 1024),
    });
    await waitForReady(`http://127.0.0.1:${httpPort}`, run);
    const client = await FlightSqlClient.connect({
      address: `127.0.0.1:${grpcPort}`,
      user: 'openfoundry',
      password: 'openfoundry',
    });
    const stream = client.stream('select range as n from range(500000)');
    const first = await stream.next();
    let rows = first.done ? 0 : first.value.numRows;
    run.child.kill('SIGTERM');
    for await (const batch of stream) rows += batch.numRows;
    client.close();
    expect(rows).toBe(500_000);
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('flight sql stopped');
    expect(run.output()).toMatch(/"rpc":"DoGet".*"requestId":|"requestId":.*"rpc":"DoGet"/);
  });

  it('refuses to start on a malformed user list, naming the variable', async () => {
    const run = startService({ DATABASE_URL: database.url, OPENFOUNDRY_SQL_USERS: 'no-password-here' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/OPENFOUNDRY_SQL_USERS/);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });
});

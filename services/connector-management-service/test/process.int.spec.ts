import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  freePort,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busEnv } from './bus-env.ts';
import { runPrefix } from './fake-replicas.ts';

// The built service as an operator runs it. `npm test` builds every package before this tier runs.
const entry = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

describe('the connector-management-service process', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    expect(existsSync(entry), `${entry} is missing: build the service first`).toBe(true);
    database = await createTestDatabase('of_connmgmt_proc');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('serves, leads, then exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = startServiceProcess(entry, {
      DATABASE_URL: database.url,
      PORT: String(port),
      CONNECTOR_REPLICA_FILTER: `^${runPrefix()}-`,
      ...(await busEnv()),
    });
    await waitForReady(url, run);
    const replicas = await fetch(`${url}/v1/replicas`, {
      headers: { authorization: 'Bearer dev-admin-token' },
    });
    expect(replicas.status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('became the coordinator');
    expect(run.output()).toContain('shutdown complete');
  });

  it('refuses to start on bad config, naming the variable, without a stack trace', async () => {
    const run = startServiceProcess(entry, {
      DATABASE_URL: database.url,
      ...(await busEnv()),
      CONNECTOR_TOKENS: 'just-a-token',
      CONNECTOR_LEASE_MS: 'soon',
    });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/CONNECTOR_TOKENS/);
    expect(run.output()).toMatch(/CONNECTOR_LEASE_MS/);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });
});

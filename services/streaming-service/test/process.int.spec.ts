import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createTestApp,
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamingService } from '../src/service.ts';
import { assetStreamWriter, busEnv } from './bus-env.ts';
import { uniqueTenant } from './factories.ts';
import { appliedEvents, eventsFor, snapshot, until } from './read-models.ts';

// The built service as an operator runs it: real process, real signals. `npm test` builds first.
const entry = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

type Reader = Awaited<ReturnType<typeof createTestApp<typeof streamingService.configSchema>>>;

describe('the streaming-service process', () => {
  const databases: TestDatabase[] = [];
  const readers: Reader[] = [];
  const running: ServiceProcess[] = [];

  beforeAll(() => {
    expect(existsSync(entry), `${entry} is missing: build the service first`).toBe(true);
  });
  afterAll(async () => {
    for (const run of running) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    for (const reader of readers) await reader.close();
    for (const database of databases) await database.drop();
  });

  async function freshDatabase() {
    const database = await createTestDatabase('of_streaming_proc');
    databases.push(database);
    return database;
  }

  /** The database as the test reads it: the service's own stack with its consumer off. */
  async function reader(database: TestDatabase) {
    const app = await createTestApp(streamingService, {
      env: { DATABASE_URL: database.url, STREAMING_CONSUME: 'false', ...(await busEnv()) },
    });
    readers.push(app);
    return app;
  }

  async function start(database: TestDatabase, env: Record<string, string> = {}) {
    const port = await freePort();
    const run = startServiceProcess(entry, {
      DATABASE_URL: database.url,
      PORT: String(port),
      ...(await busEnv()),
      ...env,
    });
    running.push(run);
    await waitForReady(`http://127.0.0.1:${port}`, run, 60_000);
    return run;
  }

  it('loses and duplicates nothing when killed mid-stream: the state equals a fresh replay', {
    timeout: 300_000,
  }, async () => {
    const tenant = uniqueTenant('kill');
    const events = eventsFor(tenant, 6_000);
    const writer = await assetStreamWriter();
    try {
      await writer.publish(events);
    } finally {
      await writer.close();
    }

    const killed = await freshDatabase();
    const killedDb = (await reader(killed)).db;
    // Small batches: the kill lands between many transactions, not after the last one.
    const first = await start(killed, { STREAMING_BATCH_MAX_RECORDS: '100' });
    await until(async () => (await appliedEvents(killedDb, tenant)) > 0, 'the first batches', 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const appliedAtKill = await appliedEvents(killedDb, tenant);
    expect(appliedAtKill).toBeLessThan(events.length);

    const second = await start(killed, { STREAMING_BATCH_MAX_RECORDS: '100' });
    await until(async () => (await appliedEvents(killedDb, tenant)) === events.length, 'the rest', 120_000);
    const afterKill = await snapshot(killedDb, tenant);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('shutdown complete');

    const fresh = await freshDatabase();
    const freshDb = (await reader(fresh)).db;
    const third = await start(fresh);
    await until(
      async () => (await appliedEvents(freshDb, tenant)) === events.length,
      'the fresh replay',
      120_000,
    );
    expect(await snapshot(freshDb, tenant)).toEqual(afterKill);
    expect(afterKill.state).toHaveLength(12);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });

  it('refuses to start on bad config, naming the variable, without a stack trace', async () => {
    const database = await freshDatabase();
    const run = startServiceProcess(entry, {
      DATABASE_URL: database.url,
      ...(await busEnv()),
      STREAMING_TOKENS: 'token-without-tenant',
      STREAMING_BATCH_MAX_RECORDS: '0',
    });
    running.push(run);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/STREAMING_TOKENS/);
    expect(run.output()).toMatch(/STREAMING_BATCH_MAX_RECORDS/);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });
});

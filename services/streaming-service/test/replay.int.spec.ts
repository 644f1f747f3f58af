import { topics } from '@openfoundry/bus-registry';
import { readTopic } from '@openfoundry/bus-registry/testing';
import { createTestApp, createTestDatabase, type TestDatabase } from '@openfoundry/service-kit/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamingService } from '../src/service.ts';
import { assetStreamWriter, busEnv } from './bus-env.ts';
import { uniqueTenant } from './factories.ts';
import { appliedEvents, eventsFor, snapshot, until } from './read-models.ts';

type App = Awaited<ReturnType<typeof createTestApp<typeof streamingService.configSchema>>>;

const ADMIN_TOKEN = 'test-admin-token-0123456789';

// The whole path on the real servers: connector-service writes the asset stream, the service's
// consumer applies it, a rebuild replays it from offset 0 into emptied tables.
describe('consuming the asset stream', () => {
  let database: TestDatabase;
  let app: App;
  let writer: Awaited<ReturnType<typeof assetStreamWriter>>;

  beforeAll(async () => {
    database = await createTestDatabase('of_streaming_replay');
    app = await createTestApp(streamingService, {
      env: { DATABASE_URL: database.url, STREAMING_ADMIN_TOKEN: ADMIN_TOKEN, ...(await busEnv()) },
    });
    writer = await assetStreamWriter();
  });
  afterAll(async () => {
    await writer?.close();
    await app?.close();
    await database?.drop();
  });

  const admin = (method: 'GET' | 'POST', url: string) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

  it('applies what connectors write, publishes the last state per key, and a rebuild reproduces it row for row', {
    timeout: 120_000,
  }, async () => {
    const tenant = uniqueTenant('replay');
    const events = eventsFor(tenant, 600);
    await writer.publish(events);
    await until(
      async () => (await appliedEvents(app.db, tenant)) === events.length,
      'the events to be applied',
    );
    const before = await snapshot(app.db, tenant);
    expect(before.state).toHaveLength(12);
    expect(before.aggregates.length).toBeGreaterThan(12);

    // The compacted state topic carries each attribute's current value.
    const lastTemperature = events
      .filter((e) => e.assetId === 'asset-0' && e.attribute === 'temperature')
      .at(-1);
    const key = `${tenant}/asset-0/temperature`;
    const published = await readTopic(topics.assetState.name, (records) =>
      records.some(
        (r) => r.key === key && (r.value as { eventId: string }).eventId === lastTemperature?.eventId,
      ),
    );
    expect(published.filter((r) => r.key === key).at(-1)?.value).toMatchObject({
      tenant,
      value: lastTemperature?.value,
    });

    // A damaged read model (as a bug would leave it) is what a rebuild must repair.
    await sql`update asset_aggregates set event_count = event_count + 1000, sum_value = -1
      where tenant = ${tenant} and window_size = '1m'`.execute(app.db);
    await sql`delete from asset_state where tenant = ${tenant} and attribute = 'mode'`.execute(app.db);

    const rebuild = await admin('POST', '/v1/admin/rebuild');
    expect(rebuild.statusCode).toBe(202);
    expect(rebuild.json()).toMatchObject({ startedFrom: 'earliest' });
    await until(async () => (await appliedEvents(app.db, tenant)) === events.length, 'the replay');
    expect(await snapshot(app.db, tenant)).toEqual(before);

    const status = await admin('GET', '/v1/admin/status');
    expect(status.json()).toMatchObject({ state: 'running', startedFrom: 'earliest' });
    const ready = await app.inject('/readyz');
    expect(ready.json()).toMatchObject({ checks: { 'asset-stream-consumer': 'ok', database: 'ok' } });
  });

  it('refuses admin calls with a wrong token (401)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/admin/rebuild',
      headers: { authorization: 'Bearer wrong-token-wrong-token' },
    });
    expect(response.statusCode).toBe(401);
  });
});

import { parseLineage, subjects, topics } from '@openfoundry/bus-registry';
import { readTopic, watchSubject } from '@openfoundry/bus-registry/testing';
import { createTestApp, createTestDatabase, type TestDatabase } from '@openfoundry/service-kit/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenancyService } from '../src/service.ts';
import { busEnv } from './bus-env.ts';
import { createTenantBody } from './factories.ts';

type App = Awaited<ReturnType<typeof createTestApp<typeof tenancyService.configSchema>>>;

describe('tenant changes on the buses', () => {
  let database: TestDatabase;
  let app: App;
  let watch: Awaited<ReturnType<typeof watchSubject>>;

  beforeAll(async () => {
    database = await createTestDatabase('of_tenancy_events');
    app = await createTestApp(tenancyService, { env: { DATABASE_URL: database.url, ...(await busEnv()) } });
    watch = await watchSubject('tenancy.*.tenant.changed');
  });
  afterAll(async () => {
    await watch?.stop();
    await app?.close();
    await database?.drop();
  });

  const post = async (body: object) => {
    const response = await app.inject({ method: 'POST', url: '/tenants', payload: body });
    return { status: response.statusCode, body: response.json() as { id: string; slug: string } };
  };

  it('publishes every committed change as state on Kafka and a signal on NATS, in commit order', async () => {
    const parent = await post(createTenantBody({ name: 'Events parent' }));
    const child = await post(createTenantBody({ name: 'Events child', parentId: parent.body.id }));
    expect([parent.status, child.status]).toEqual([201, 201]);
    const renamed = await app.inject({
      method: 'PATCH',
      url: `/tenants/${child.body.id}`,
      payload: { name: 'Renamed child' },
    });
    expect(renamed.statusCode).toBe(200);
    const removed = await app.inject({ method: 'DELETE', url: `/tenants/${parent.body.id}?cascade=true` });
    expect(removed.statusCode).toBe(204);

    const ids = [parent.body.id, child.body.id];
    const records = await readTopic(topics.tenantState.name, (rs) =>
      ids.every((id) => rs.some((r) => r.key === id && (r.value as { deleted: boolean }).deleted)),
    );
    const childStates = records.filter((r) => r.key === child.body.id).map((r) => r.value);
    expect(childStates).toEqual([
      expect.objectContaining({ name: 'Events child', deleted: false, parentId: parent.body.id }),
      expect.objectContaining({ name: 'Renamed child', deleted: false }),
      expect.objectContaining({ name: 'Renamed child', deleted: true }),
    ]);
    const first = records.find((r) => r.key === child.body.id);
    expect(parseLineage(first?.headers ?? {})).toMatchObject({
      jobName: 'tenancy-service.tenant-changes',
      schemaUrl: topics.tenantState.schema.url,
      producer: 'https://openfoundry.dev/services/tenancy-service',
    });

    const deadline = Date.now() + 15_000;
    const childSignals = () =>
      watch.messages.filter((m) => m.subject === `tenancy.${child.body.id}.tenant.changed`);
    while (childSignals().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(childSignals().map((m) => (m.value as { change: string }).change)).toEqual([
      'created',
      'updated',
      'deleted',
    ]);
    expect(subjects.tenantChanged.schema.zod.safeParse(childSignals()[0]?.value).success).toBe(true);

    const { rows } = await sql<{ n: string }>`select count(*) as n from outbox`.execute(app.db);
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('publishes nothing for a change that was refused', async () => {
    const body = createTenantBody({ parentId: '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b' });
    const refused = await post(body);
    expect(refused.status).toBe(404);
    // A later change proves the relay ran past the point where the refused one would have been.
    const later = await post(createTenantBody());
    const records = await readTopic(topics.tenantState.name, (rs) => rs.some((r) => r.key === later.body.id));
    expect(records.some((r) => (r.value as { slug: string }).slug === body.slug)).toBe(false);
  });
});

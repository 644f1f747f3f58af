import { createTestApp, createTestDatabase, type TestDatabase } from '@openfoundry/service-kit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorService } from '../src/replicas/coordinator.service.ts';
import { connectorManagementService } from '../src/service.ts';
import { busEnv } from './bus-env.ts';
import { bearer, httpDevice, mqttDevice, opcuaDevice, uniqueTenant } from './factories.ts';
import { type FakeReplica, FakeReplicas, runPrefix, waitFor } from './fake-replicas.ts';

type App = Awaited<ReturnType<typeof createTestApp<typeof connectorManagementService.configSchema>>>;
const admin = bearer('admin-token');

describe('the coordinator with replicas over NATS', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let app: App;
  let fakes: FakeReplicas;
  const prefix = runPrefix();
  let started: FakeReplica[] = [];
  let n = 0;
  const replica = (protocols?: FakeReplica['protocols']) => {
    const r = fakes.add(`${prefix}-r${++n}`, protocols);
    started.push(r);
    return r.start();
  };
  const put = async (target: App, tenant: string, id: string, body: object) => {
    const response = await target.inject({
      method: 'PUT',
      url: `/v1/tenants/${tenant}/devices/${id}`,
      headers: admin,
      payload: body,
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
  };
  const startApp = async () =>
    createTestApp(connectorManagementService, { env: { DATABASE_URL: database.url, ...env } });

  beforeAll(async () => {
    database = await createTestDatabase('of_connmgmt_coord');
    env = {
      ...(await busEnv()),
      CONNECTOR_TOKENS: 'admin-token=*',
      CONNECTOR_REPLICA_FILTER: `^${prefix}-`,
      CONNECTOR_LEASE_MS: '1500',
      CONNECTOR_RECONCILE_MS: '200',
      CONNECTOR_STATUS_WRITE_MS: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    };
    app = await startApp();
    fakes = await FakeReplicas.connect();
  });
  afterEach(async () => {
    for (const r of started) r.kill();
    started = [];
    // The next test starts once this one's replicas are dead to the coordinator.
    await new Promise((resolve) => setTimeout(resolve, 1_600));
  });
  afterAll(async () => {
    await fakes?.close();
    await app?.close();
    await database?.drop();
  });

  const mine = (r: FakeReplica, tenant: string) => r.deviceKeys.filter((k) => k.startsWith(`${tenant}/`));

  it('sends a joining replica its devices, and inspect shows status and counters', async () => {
    const tenant = uniqueTenant();
    await put(app, tenant, 'press', mqttDevice());
    const r1 = replica();
    await waitFor('r1 runs the device', () => mine(r1, tenant).length === 1);
    expect(r1.devices.find((d) => d.tenant === tenant)).toMatchObject({
      id: 'press',
      revision: 1,
      protocol: 'mqtt',
    });

    const inspected = await waitFor('status reported', async () => {
      const body = (await app.inject({ url: `/v1/tenants/${tenant}/devices/press`, headers: admin })).json();
      return body.status === 'online' && body;
    });
    expect(inspected).toMatchObject({
      replicas: [r1.id],
      status: 'online',
      counters: { received: 7, published: 6, deadLettered: 1 },
    });
    expect(inspected.lastSeen).not.toBeNull();

    // A changed spec reaches the replica with its new revision.
    await put(app, tenant, 'press', mqttDevice({ endpoint: 'mqtt://broker:1883' }));
    await waitFor('revision 2 applied', () =>
      r1.devices.some((d) => d.tenant === tenant && d.revision === 2),
    );
    // A removed device leaves it.
    await app.inject({ method: 'DELETE', url: `/v1/tenants/${tenant}/devices/press`, headers: admin });
    await waitFor('device removed from r1', () => mine(r1, tenant).length === 0);
    expect(r1.versions).toEqual([...r1.versions].sort((a, b) => a - b));
  });

  it("splits devices evenly, moves a dead replica's devices, and puts HTTP devices on both", async () => {
    const tenant = uniqueTenant();
    for (const id of ['m1', 'm2', 'm3', 'm4']) await put(app, tenant, id, mqttDevice());
    await put(app, tenant, 'push', httpDevice());
    const [r1, r2] = [replica(), replica()];
    await waitFor('even split', () => mine(r1, tenant).length === 3 && mine(r2, tenant).length === 3);
    for (const r of [r1, r2]) expect(mine(r, tenant)).toContain(`${tenant}/push`);
    const singles = [...mine(r1, tenant), ...mine(r2, tenant)].filter((k) => !k.endsWith('/push'));
    expect(new Set(singles).size).toBe(4);

    const replicas = (await app.inject({ url: '/v1/replicas', headers: admin })).json();
    expect(replicas.coordinator).toEqual({ leading: true });
    expect(replicas.items.find((i: { replica: string }) => i.replica === r1.id)).toMatchObject({
      state: 'live',
      assigned: { acknowledged: true },
    });

    r2.kill();
    await waitFor('r1 takes over every device', () => mine(r1, tenant).length === 5, 10_000);
    const inspected = (await app.inject({ url: `/v1/tenants/${tenant}/devices/m1`, headers: admin })).json();
    expect(inspected.replicas).toEqual([r1.id]);
  });

  it('moves devices away from a draining replica and ignores devices no replica supports', async () => {
    const tenant = uniqueTenant();
    await put(app, tenant, 'oven', opcuaDevice());
    await put(app, tenant, 'press', mqttDevice());
    const mqttOnly = replica(['mqtt']);
    await waitFor('mqtt device placed', () => mine(mqttOnly, tenant).length === 1);
    expect(mine(mqttOnly, tenant)).toEqual([`${tenant}/press`]);
    const oven = (await app.inject({ url: `/v1/tenants/${tenant}/devices/oven`, headers: admin })).json();
    expect(oven.status).toBe('unassigned');

    const other = replica(['mqtt', 'opcua']);
    await waitFor('opcua device placed', () => mine(other, tenant).includes(`${tenant}/oven`));
    mqttOnly.accepting = false;
    await waitFor(
      'draining replica emptied',
      () => mine(mqttOnly, tenant).length === 0 && mine(other, tenant).length === 2,
    );
  });

  it('starts a moving device on its new replica only after the old one has let it go', async () => {
    const tenant = uniqueTenant();
    await put(app, tenant, 'press', mqttDevice());
    const from = replica(['mqtt']);
    await waitFor('placed', () => mine(from, tenant).length === 1);
    const to = replica(['mqtt']);
    await waitFor('the second replica assigned', () => to.applied.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await app.app.get(CoordinatorService).settled();
    // Everything the first replica runs now moves; stopping its devices takes it a while, and the
    // second must not start any of them meanwhile.
    const moving = from.deviceKeys;
    expect(moving.length).toBeGreaterThan(0);
    const before = { from: from.applied.length, to: to.applied.length };
    from.applyDelayMs = 700;
    from.accepting = false;
    await waitFor(
      'moved',
      () => from.deviceKeys.length === 0 && moving.every((k) => to.deviceKeys.includes(k)),
      10_000,
    );
    for (const key of moving) {
      const released = from.applied.slice(before.from).find((a) => !a.keys.includes(key));
      const taken = to.applied.slice(before.to).find((a) => a.keys.includes(key));
      expect({ key, released: released !== undefined, taken: taken !== undefined }).toEqual({
        key,
        released: true,
        taken: true,
      });
      expect({ key, inOrder: (taken?.at ?? 0) >= (released?.at ?? Number.POSITIVE_INFINITY) }).toEqual({
        key,
        inOrder: true,
      });
    }
  });

  it('keeps assignment versions growing across a restart, and only one instance leads', async () => {
    const tenant = uniqueTenant();
    await put(app, tenant, 'd', mqttDevice());
    const r1 = replica();
    await waitFor('assigned', () => mine(r1, tenant).length === 1);
    const before = r1.assignmentVersion;

    const second = await startApp();
    try {
      // The second instance stays passive while the first holds the lock.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(second.app.get(CoordinatorService).leading).toBe(false);
      await app.close();
      await waitFor('second instance leads', () => second.app.get(CoordinatorService).leading);
      await put(second, tenant, 'd2', mqttDevice());
      await waitFor('new device reaches r1 from the new leader', () => mine(r1, tenant).length === 2);
      expect(r1.assignmentVersion).toBeGreaterThan(before);
    } finally {
      app = second;
    }
  });
});

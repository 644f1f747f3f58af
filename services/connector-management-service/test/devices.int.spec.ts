import { deviceSpec } from '@openfoundry/bus-registry';
import { createTestApp, createTestDatabase, type TestDatabase } from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicesRepository } from '../src/devices/devices.repository.ts';
import { connectorManagementService } from '../src/service.ts';
import { busEnv } from './bus-env.ts';
import { bearer, httpDevice, mqttDevice, opcuaDevice, uniqueTenant } from './factories.ts';
import { runPrefix } from './fake-replicas.ts';

type App = Awaited<ReturnType<typeof createTestApp<typeof connectorManagementService.configSchema>>>;

describe('devices over HTTP', () => {
  let database: TestDatabase;
  let app: App;
  const acme = uniqueTenant('acme');
  const globex = uniqueTenant('globex');
  const admin = bearer('admin-token');
  const acmeAuth = bearer('acme-token');

  const put = (tenant: string, id: string, body: unknown, headers: Record<string, string> = admin) =>
    app.inject({
      method: 'PUT',
      url: `/v1/tenants/${tenant}/devices/${id}`,
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = (url: string, headers: Record<string, string> = admin) =>
    app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    database = await createTestDatabase('of_connmgmt_devices');
    app = await createTestApp(connectorManagementService, {
      env: {
        DATABASE_URL: database.url,
        ...(await busEnv()),
        CONNECTOR_TOKENS: `admin-token=*,acme-token=${acme},globex-token=${globex}`,
        CONNECTOR_REPLICA_FILTER: `^${runPrefix()}-`,
        BODY_LIMIT_BYTES: '65536',
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('answers /readyz with the database and the control bus', async () => {
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ database: 'ok', 'control-bus': 'ok' });
  });

  describe('apply', () => {
    it('creates with revision 1, keeps the revision when unchanged, bumps it when changed', async () => {
      const tenant = uniqueTenant();
      const created = await put(tenant, 'press-line', mqttDevice());
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({
        result: 'created',
        device: { tenant, id: 'press-line', revision: 1 },
      });

      const again = await put(tenant, 'press-line', { ...mqttDevice(), tenant, id: 'press-line' });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ result: 'unchanged', device: { revision: 1 } });

      const changed = await put(tenant, 'press-line', mqttDevice({ endpoint: 'mqtt://broker:1883' }));
      expect(changed.json()).toMatchObject({
        result: 'updated',
        device: { revision: 2, endpoint: 'mqtt://broker:1883' },
      });
    });

    it('accepts YAML bodies', async () => {
      const tenant = uniqueTenant();
      const yaml = [
        'protocol: opcua',
        'endpoint: opc.tcp://127.0.0.1:4840/plant',
        'points:',
        '  - asset: oven-1',
        '    attribute: temperature',
        '    nodeId: ns=1;s=Oven1.Temperature',
      ].join('\n');
      const response = await app.inject({
        method: 'PUT',
        url: `/v1/tenants/${tenant}/devices/oven`,
        headers: { 'content-type': 'application/yaml', ...admin },
        payload: yaml,
      });
      expect(response.statusCode).toBe(201);
      expect(response.json().device.points[0]).toMatchObject({
        asset: 'oven-1',
        kind: 'sample',
        writable: false,
      });
    });

    it('requires the current revision when one is given', async () => {
      const tenant = uniqueTenant();
      await put(tenant, 'd1', opcuaDevice());
      const stale = await put(tenant, 'd1', { ...opcuaDevice({ endpoint: 'opc.tcp://x:1' }), revision: 7 });
      expect(stale.statusCode).toBe(409);
      expect(stale.json().error).toMatchObject({
        code: 'REVISION_CONFLICT',
        details: { given: 7, current: 1 },
      });
      const current = await put(tenant, 'd1', { ...opcuaDevice({ endpoint: 'opc.tcp://x:1' }), revision: 1 });
      expect(current.json()).toMatchObject({ result: 'updated', device: { revision: 2 } });
    });

    it('refuses malformed JSON and malformed YAML (naming the line) with 400', async () => {
      const json = await put(uniqueTenant(), 'd', '{"protocol": "mqtt",');
      expect(json.statusCode).toBe(400);
      expect(json.json().error.code).toBe('MALFORMED_JSON');
      const yaml = await app.inject({
        method: 'PUT',
        url: `/v1/tenants/${uniqueTenant()}/devices/d`,
        headers: { 'content-type': 'application/yaml', ...admin },
        payload: 'protocol: mqtt\npoints: [\n  - a: b\n  c: : d',
      });
      expect(yaml.statusCode).toBe(400);
      expect(yaml.json().error.code).toBe('MALFORMED_YAML');
      expect(yaml.json().error.message).toMatch(/line \d+/);
    });

    it('refuses wrong types and unknown fields with the zod issues', async () => {
      const response = await put(uniqueTenant(), 'd', {
        protocol: 'modbus',
        points: 'all of them',
        endpont: 'mqtt://typo',
      });
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error.code).toBe('VALIDATION_FAILED');
      const paths = error.details.map((d: { path: string }) => d.path);
      expect(paths).toEqual(expect.arrayContaining(['protocol', 'points']));
      expect(JSON.stringify(error.details)).toContain('endpont');
    });

    it('refuses a body whose tenant or id differs from the path', async () => {
      const tenant = uniqueTenant();
      const wrongId = await put(tenant, 'd1', { ...mqttDevice(), id: 'd2' });
      expect(wrongId.statusCode).toBe(400);
      expect(wrongId.json().error.details[0]).toMatchObject({ path: 'id' });
      const wrongTenant = await put(tenant, 'd1', { ...mqttDevice(), tenant: 'someone-else' });
      expect(wrongTenant.statusCode).toBe(400);
    });

    it('refuses bad ids in the path', async () => {
      const response = await put('Not_A_Tenant!', 'd1', mqttDevice());
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details[0]).toMatchObject({ location: 'params' });
      const badDevice = await put(uniqueTenant(), 'bad.id', mqttDevice());
      expect(badDevice.statusCode).toBe(400);
    });

    it('refuses an oversized body with 413', async () => {
      const points = Array.from({ length: 2_000 }, (_, i) => ({
        asset: `asset-${i}`,
        topic: `plant/asset-${i}/value`,
      }));
      const response = await put(uniqueTenant(), 'huge', mqttDevice({ points }));
      expect(response.statusCode).toBe(413);
    });

    it('refuses a spec too large for an assignment with 413 DEVICE_TOO_LARGE', async () => {
      const points = Array.from({ length: 400 }, (_, i) => ({
        asset: `asset-${i}`,
        topic: `plant/area-${'x'.repeat(60)}/asset-${i}/value`,
      }));
      const response = await put(uniqueTenant(), 'large', mqttDevice({ points }));
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe('DEVICE_TOO_LARGE');
    });

    it('refuses other media types with 415', async () => {
      const response = await app.inject({
        method: 'PUT',
        url: `/v1/tenants/${uniqueTenant()}/devices/d`,
        headers: { 'content-type': 'text/plain', ...admin },
        payload: 'protocol=mqtt',
      });
      expect(response.statusCode).toBe(415);
    });
  });

  it('moves the change marker only when the saved device is visible, so a reconcile never keeps a marker without its device', async () => {
    const repository = app.app.get(DevicesRepository);
    const tenant = uniqueTenant();
    const spec = deviceSpec.parse({ ...mqttDevice(), tenant, id: 'marker-line', revision: 1 });
    const before = await repository.changeMarker();
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let saved!: () => void;
    const inTransaction = new Promise<void>((resolve) => {
      saved = resolve;
    });
    const writing = repository.transaction(async (trx) => {
      await trx.save(spec);
      saved();
      await committing;
    });
    await inTransaction;
    // Saved but not committed: what a reconcile reads now is the old marker with the old devices.
    expect(await repository.changeMarker()).toBe(before);
    expect(await repository.find(tenant, 'marker-line')).toBeUndefined();
    commit();
    await writing;
    expect(await repository.changeMarker()).not.toBe(before);
    expect((await repository.find(tenant, 'marker-line'))?.spec).toMatchObject({ tenant, id: 'marker-line' });
  });

  describe('read and delete', () => {
    it('lists a page at a time and inspects a device', async () => {
      const tenant = uniqueTenant();
      for (const id of ['a', 'b', 'c']) await put(tenant, id, httpDevice());
      const first = await get(`/v1/tenants/${tenant}/devices?limit=2`);
      expect(first.statusCode).toBe(200);
      expect(first.json().items.map((d: { id: string }) => d.id)).toEqual(['a', 'b']);
      const second = await get(`/v1/tenants/${tenant}/devices?limit=2&cursor=${first.json().nextCursor}`);
      expect(second.json()).toMatchObject({ items: [{ id: 'c', status: 'unassigned' }], nextCursor: null });

      const inspected = await get(`/v1/tenants/${tenant}/devices/b`);
      expect(inspected.json()).toMatchObject({
        spec: { tenant, id: 'b', protocol: 'http', revision: 1 },
        revision: 1,
        replicas: [],
        status: 'unassigned',
        counters: { received: 0 },
        lastSeen: null,
      });
      expect((await get(`/v1/tenants/${tenant}/devices?cursor=garbage`)).statusCode).toBe(400);
      expect((await get(`/v1/tenants/${tenant}/devices?limit=0`)).statusCode).toBe(400);
    });

    it('deletes a device, then answers 404 for it', async () => {
      const tenant = uniqueTenant();
      await put(tenant, 'gone', mqttDevice());
      const removed = await app.inject({
        method: 'DELETE',
        url: `/v1/tenants/${tenant}/devices/gone`,
        headers: admin,
      });
      expect(removed.statusCode).toBe(204);
      expect((await get(`/v1/tenants/${tenant}/devices/gone`)).statusCode).toBe(404);
      const again = await app.inject({
        method: 'DELETE',
        url: `/v1/tenants/${tenant}/devices/gone`,
        headers: admin,
      });
      expect(again.statusCode).toBe(404);
      expect(again.json().error.code).toBe('DEVICE_NOT_FOUND');
    });
  });

  describe('auth', () => {
    it('answers 401 without a token or with an unknown one', async () => {
      const none = await app.inject({ method: 'GET', url: `/v1/tenants/${acme}/devices` });
      expect(none.statusCode).toBe(401);
      expect(none.json().error.code).toBe('UNAUTHORIZED');
      expect((await get(`/v1/tenants/${acme}/devices`, bearer('expired-token'))).statusCode).toBe(401);
      expect((await get(`/v1/tenants/${acme}/devices`, { authorization: 'Basic YTpi' })).statusCode).toBe(
        401,
      );
    });

    it("answers 403 for another tenant's devices, existing or not", async () => {
      await put(globex, 'secret', mqttDevice());
      expect((await get(`/v1/tenants/${globex}/devices/secret`, acmeAuth)).statusCode).toBe(403);
      expect((await get(`/v1/tenants/${globex}/devices/nothing`, acmeAuth)).statusCode).toBe(403);
      expect((await put(globex, 'secret', mqttDevice(), acmeAuth)).statusCode).toBe(403);
      const del = await app.inject({
        method: 'DELETE',
        url: `/v1/tenants/${globex}/devices/secret`,
        headers: acmeAuth,
      });
      expect(del.statusCode).toBe(403);
      expect((await get(`/v1/tenants/${globex}/devices/secret`)).statusCode).toBe(200);
    });

    it("lists only the caller's own devices at /v1/devices, everything for an admin", async () => {
      await put(acme, 'mine', mqttDevice(), acmeAuth);
      const own = (await get('/v1/devices', acmeAuth)).json().items.map((d: { tenant: string }) => d.tenant);
      expect(new Set(own)).toEqual(new Set([acme]));
      const all = (await get('/v1/devices?limit=500')).json().items.map((d: { tenant: string }) => d.tenant);
      expect(all).toEqual(expect.arrayContaining([acme, globex]));
    });

    it('keeps the replica list for admins', async () => {
      expect((await get('/v1/replicas', acmeAuth)).statusCode).toBe(403);
      expect((await get('/v1/replicas')).statusCode).toBe(200);
    });
  });
});

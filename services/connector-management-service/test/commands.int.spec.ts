import { randomUUID } from 'node:crypto';
import { subjects } from '@openfoundry/bus-registry';
import { ControlBus } from '@openfoundry/event-bus-control';
import { createTestApp, createTestDatabase, type TestDatabase } from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorManagementService } from '../src/service.ts';
import { busEnv, controlBusAs } from './bus-env.ts';
import { bearer, mqttDevice, uniqueTenant } from './factories.ts';
import { type FakeReplica, FakeReplicas, runPrefix, waitFor } from './fake-replicas.ts';

type App = Awaited<ReturnType<typeof createTestApp<typeof connectorManagementService.configSchema>>>;
const admin = bearer('admin-token');

describe('device commands', () => {
  let database: TestDatabase;
  let app: App;
  let fakes: FakeReplicas;
  let r1: FakeReplica;
  let requester: ControlBus;
  const prefix = runPrefix();

  const put = async (tenant: string, id: string, body: object) => {
    const response = await app.inject({
      method: 'PUT',
      url: `/v1/tenants/${tenant}/devices/${id}`,
      headers: admin,
      payload: body,
    });
    expect(response.statusCode, response.body).toBe(201);
  };
  const command = (tenant: string, body: Record<string, unknown>, headers = admin) =>
    app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/commands`, headers, payload: body });
  /** A tenant with a device mapping asset press-1, running online on r1. */
  const runningDevice = async () => {
    const tenant = uniqueTenant();
    await put(tenant, 'press-line', mqttDevice());
    await waitFor('device running', () => r1.deviceKeys.includes(`${tenant}/press-line`));
    await r1.beat();
    return tenant;
  };

  beforeAll(async () => {
    database = await createTestDatabase('of_connmgmt_cmd');
    app = await createTestApp(connectorManagementService, {
      env: {
        DATABASE_URL: database.url,
        ...(await busEnv()),
        CONNECTOR_TOKENS: 'admin-token=*,other-token=someone-else',
        CONNECTOR_REPLICA_FILTER: `^${prefix}-`,
        CONNECTOR_LEASE_MS: '1500',
        CONNECTOR_RECONCILE_MS: '200',
        CONNECTOR_RECORD_RELAY_MS: '200',
      },
    });
    fakes = await FakeReplicas.connect();
    r1 = fakes.add(`${prefix}-r1`).start();
    // The registry declares no other sender of the command subject yet, so the owner's identity asks.
    requester = await controlBusAs('connector-management-service');
  });
  afterAll(async () => {
    await requester?.close();
    await fakes?.close();
    await app?.close();
    await database?.drop();
  });

  it('acknowledges a write through the replica, and records it', async () => {
    const tenant = await runningDevice();
    let seen: unknown;
    r1.onCommand = async (c) => {
      seen = c;
      return {
        commandId: c.commandId,
        status: 'acknowledged',
        result: { ok: true },
        completedAt: new Date().toISOString(),
      };
    };
    const response = await command(tenant, {
      assetId: 'press-1',
      action: 'write',
      target: 'setpoint',
      arguments: 42,
    });
    expect(response.statusCode, response.body).toBe(200);
    const outcome = response.json();
    expect(outcome).toMatchObject({
      status: 'acknowledged',
      result: { ok: true },
      device: 'press-line',
      replica: r1.id,
    });
    expect(seen).toMatchObject({
      tenant,
      assetId: 'press-1',
      target: 'setpoint',
      arguments: 42,
      requester: 'rest:*',
    });

    const record = await app.inject({
      url: `/v1/tenants/${tenant}/commands/${outcome.commandId}`,
      headers: admin,
    });
    expect(record.json()).toMatchObject({
      status: 'acknowledged',
      device: 'press-line',
      replica: r1.id,
      command: { assetId: 'press-1', arguments: 42 },
      outcome: { status: 'acknowledged' },
    });
    // Another tenant cannot read it; an unknown id is 404.
    expect(
      (
        await app.inject({
          url: `/v1/tenants/${uniqueTenant()}/commands/${outcome.commandId}`,
          headers: admin,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ url: `/v1/tenants/${tenant}/commands/${randomUUID()}`, headers: admin }))
        .statusCode,
    ).toBe(404);
  });

  it('answers 409 with the outcome when the replica refuses', async () => {
    const tenant = await runningDevice();
    r1.onCommand = async (c) => ({
      commandId: c.commandId,
      status: 'failed',
      failure: { code: 'refused', message: 'point temperature is not writable' },
      completedAt: new Date().toISOString(),
    });
    const response = await command(tenant, {
      assetId: 'press-line',
      action: 'write',
      target: 'temperature',
      arguments: 1,
    });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ status: 'failed', failure: { code: 'refused' }, replica: r1.id });
  });

  it('fails unknown assets with 404, offline devices with 503, passed deadlines with 504', async () => {
    const tenant = await runningDevice();
    // The replica's side (connector-service): an expired or offline command is refused, and recorded there.
    const reached: string[] = [];
    r1.onCommand = async (c) => {
      reached.push(c.commandId);
      const code =
        Date.parse(c.deadline) <= Date.now()
          ? 'deadline-expired'
          : r1.status.get(`${tenant}/press-line`) === 'offline'
            ? 'offline'
            : undefined;
      return {
        commandId: c.commandId,
        status: code ? 'failed' : 'acknowledged',
        ...(code ? { failure: { code, message: `${tenant}/press-line is offline` } } : {}),
        completedAt: new Date().toISOString(),
      };
    };
    const unknown = await command(tenant, { assetId: 'nobody', action: 'write', target: 'x', arguments: 1 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().failure.code).toBe('unknown-asset');

    const expired = await command(tenant, {
      assetId: 'press-1',
      action: 'write',
      target: 'setpoint',
      arguments: 1,
      deadline: new Date(Date.now() - 1_000).toISOString(),
    });
    expect(expired.statusCode).toBe(504);
    expect(expired.json().failure.code).toBe('deadline-expired');
    // Forwarded all the same, so the replica records it on the asset stream.
    expect(reached).toEqual([expired.json().commandId]);

    r1.status.set(`${tenant}/press-line`, 'offline');
    await r1.beat();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const offline = await command(tenant, {
      assetId: 'press-1',
      action: 'write',
      target: 'setpoint',
      arguments: 1,
    });
    expect(offline.statusCode).toBe(503);
    expect(offline.json().failure).toMatchObject({
      code: 'offline',
      message: expect.stringContaining('offline'),
    });
    expect(reached).toHaveLength(2);

    const nowhere = uniqueTenant();
    await put(nowhere, 'lonely', mqttDevice());
    const unassigned = await command(nowhere, {
      assetId: 'lonely',
      action: 'write',
      target: 'x',
      arguments: 1,
    });
    expect(unassigned.statusCode).toBe(503);
    expect(unassigned.json().failure.message).toMatch(/no live replica runs device/);
    expect(reached).toHaveLength(2);
  });

  it('turns a replica that does not answer in time into deadline-expired', async () => {
    const tenant = await runningDevice();
    r1.onCommand = (c) =>
      new Promise((resolve) =>
        setTimeout(
          () =>
            resolve({
              commandId: c.commandId,
              status: 'acknowledged',
              completedAt: new Date().toISOString(),
            }),
          2_000,
        ),
      );
    const response = await command(tenant, {
      assetId: 'press-1',
      action: 'write',
      target: 'setpoint',
      arguments: 1,
      deadline: new Date(Date.now() + 500).toISOString(),
    });
    expect(response.statusCode).toBe(504);
    expect(response.json().failure.code).toBe('deadline-expired');
  });

  it('refuses bad command bodies and other tenants', async () => {
    const tenant = uniqueTenant();
    const bad = await command(tenant, { assetId: 'a b', action: 'explode', target: '' });
    expect(bad.statusCode).toBe(400);
    const paths = bad.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['assetId', 'action', 'target']));
    const mismatch = await command(tenant, { tenant: 'other', assetId: 'a', action: 'write', target: 't' });
    expect(mismatch.statusCode).toBe(400);
    const other = await command(
      tenant,
      { assetId: 'a', action: 'write', target: 't' },
      bearer('other-token'),
    );
    expect(other.statusCode).toBe(403);
    const noToken = await app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/commands`, payload: {} });
    expect(noToken.statusCode).toBe(401);
  });

  it('answers commands on connector-management.{tenant}.command over NATS', async () => {
    const tenant = await runningDevice();
    r1.onCommand = async (c) => ({
      commandId: c.commandId,
      status: 'acknowledged',
      completedAt: new Date().toISOString(),
    });
    const send = (overrides: Record<string, unknown> = {}, onTenant = tenant) =>
      requester.request(subjects.deviceCommand, {
        tokens: { tenant: onTenant },
        value: {
          commandId: randomUUID(),
          tenant,
          assetId: 'press-1',
          action: 'write' as const,
          target: 'setpoint',
          arguments: 5,
          deadline: new Date(Date.now() + 5_000).toISOString(),
          requester: 'test',
          ...overrides,
        },
        timeoutMs: 6_000,
      });
    // Every instance of the service on this NATS answers the subject in one queue group (in
    // production they share one database); one with its own database, another test file's or a
    // platform's on this machine, knows no such asset: ask again, with the same command id.
    const sendHere = async (overrides: Record<string, unknown> = {}) => {
      const value = { commandId: randomUUID(), ...overrides };
      let outcome = await send(value);
      for (let attempt = 1; outcome.failure?.code === 'unknown-asset' && attempt < 20; attempt++)
        outcome = await send(value);
      return outcome;
    };
    expect(await sendHere()).toMatchObject({ status: 'acknowledged', replica: r1.id, device: 'press-line' });
    expect(await send({ assetId: 'ghost' })).toMatchObject({
      status: 'failed',
      failure: { code: 'unknown-asset' },
    });
    expect(await send({}, uniqueTenant())).toMatchObject({ status: 'failed', failure: { code: 'invalid' } });
    // Fits a NATS message, but not the record of it with its outcome: refused, nothing stored.
    const large = randomUUID();
    expect(await send({ commandId: large, arguments: 'x'.repeat(60_000) })).toMatchObject({
      status: 'failed',
      failure: { code: 'invalid', message: expect.stringContaining('control-bus message') },
    });
    const stored = await app.inject({
      method: 'GET',
      url: `/v1/tenants/${tenant}/commands/${large}`,
      headers: admin,
    });
    expect(stored.statusCode).toBe(404);
    // A redelivered command gets its recorded outcome, not a second execution.
    const commandId = randomUUID();
    let executions = 0;
    r1.onCommand = async (c) => {
      executions++;
      return { commandId: c.commandId, status: 'acknowledged', completedAt: new Date().toISOString() };
    };
    await sendHere({ commandId });
    expect(await sendHere({ commandId })).toMatchObject({ commandId, status: 'acknowledged' });
    expect(executions).toBe(1);
  });

  it('hands a command it answered itself to a live replica to record, and again after a refusal', async () => {
    const tenant = uniqueTenant();
    let attempts = 0;
    r1.onRecord = async ({ command: c }) => {
      if (c.tenant === tenant && attempts++ === 0) throw new Error('the asset stream is not reachable');
    };
    const response = await command(tenant, { assetId: 'nobody', action: 'write', target: 'x', arguments: 1 });
    expect(response.statusCode).toBe(404);
    const outcome = response.json();
    const stored = async () =>
      (
        await app.inject({
          method: 'GET',
          url: `/v1/tenants/${tenant}/commands/${outcome.commandId}`,
          headers: admin,
        })
      ).json();
    const { assetStream } = await waitFor('the command recorded', async () => {
      const record = await stored();
      return record.assetStream.recordedAt ? record : undefined;
    });
    expect(assetStream.recordedBy).toBe('coordinator');
    expect(attempts).toBe(2);
    expect(r1.recorded.filter((r) => r.command.tenant === tenant)).toEqual([
      {
        command: expect.objectContaining({ commandId: outcome.commandId, tenant, assetId: 'nobody' }),
        outcome,
      },
    ]);
  });
});

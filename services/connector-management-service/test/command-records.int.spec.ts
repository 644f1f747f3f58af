import { randomBytes } from 'node:crypto';
import {
  type AssetEvent,
  BusErrorCode,
  type CommandOutcome,
  type DeviceCommand,
  subjects,
  topics,
} from '@openfoundry/bus-registry';
import { type ReadRecord, readTopic } from '@openfoundry/bus-registry/testing';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { createTestDatabase, freePort, type TestDatabase } from '@openfoundry/service-kit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandRecord } from '../src/commands/command.dto.ts';
import { busEnv, controlBusAs } from './bus-env.ts';
import { bearer, uniqueTenant } from './factories.ts';
import { runPrefix, waitFor } from './fake-replicas.ts';
import {
  connectorEntry,
  managementEntry,
  outrankOtherCoordinators,
  ServiceProcesses,
} from './service-processes.ts';

// Commands the coordinator answers itself reach the asset stream through a real connector replica:
// the built management service and a built connector replica, started after the first commands so
// they wait for it. The replica serves OPC UA only, so the MQTT device below never runs anywhere.

/** Asset events written after this are the ones this file looks for (slack for clock skew). */
const since = new Date(Date.now() - 60_000);

const hex = () => randomBytes(3).toString('hex');

describe('commands the coordinator answers itself, on the asset stream', () => {
  const prefix = runPrefix();
  const replica = `${prefix}-r1`;
  const tenant = uniqueTenant('cmrec');
  const token = `t-${hex()}`;
  const valveAsset = `valve-${hex()}`;
  const kilnAsset = `kiln-${hex()}`;
  const ghostAsset = `ghost-${hex()}`;
  const processes = new ServiceProcesses();
  const outcomes = new Map<string, CommandOutcome>();
  let database: TestDatabase;
  let url: string;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...bearer(token) },
    });
  const putDevice = async (id: string, spec: object) => {
    const response = await api(`/v1/tenants/${tenant}/devices/${id}`, {
      method: 'PUT',
      body: JSON.stringify(spec),
    });
    expect(response.status, await response.clone().text()).toBe(201);
  };
  const command = async (assetId: string) => {
    const response = await api(`/v1/tenants/${tenant}/commands`, {
      method: 'POST',
      body: JSON.stringify({ assetId, action: 'write', target: 'setpoint', arguments: 5 }),
    });
    const outcome = (await response.json()) as CommandOutcome;
    outcomes.set(outcome.commandId, outcome);
    return { status: response.status, outcome };
  };
  const record = async (commandId: string) => {
    const response = await api(`/v1/tenants/${tenant}/commands/${commandId}`);
    expect(response.status).toBe(200);
    return (await response.json()) as CommandRecord;
  };
  const recorded = (commandId: string) =>
    waitFor(
      `command ${commandId} recorded`,
      async () => {
        const { assetStream } = await record(commandId);
        return assetStream?.recordedAt ? assetStream : undefined;
      },
      30_000,
    );
  /** The asset events of these commands, once there are at least `count` of them. */
  const eventsOf = async (commandIds: string[], count = 2 * commandIds.length) => {
    const ids = new Set(commandIds);
    const mine = (r: ReadRecord) => {
      const event = r.value as AssetEvent;
      return event.tenant === tenant && event.commandId !== undefined && ids.has(event.commandId);
    };
    const records = await readTopic(
      topics.assetEvents.name,
      (rs) => rs.filter(mine).length >= count,
      20_000,
      { since },
    );
    return records.filter(mine).map((r) => ({ ...(r.value as AssetEvent), key: r.key }));
  };
  /** Both events of a command the coordinator answered, as the recording replica wrote them. */
  const expectRecorded = (
    events: (AssetEvent & { key: unknown })[],
    outcome: CommandOutcome,
    device: string,
  ) => {
    const own = events.filter((e) => e.commandId === outcome.commandId);
    expect(own.map((e) => e.kind).sort()).toEqual(['command', 'command-result']);
    for (const event of own) {
      expect(event).toMatchObject({
        tenant,
        key: `${tenant}/${event.assetId}`,
        attribute: 'setpoint',
        sourceTime: outcome.completedAt,
        source: { protocol: 'command', replica, device },
      });
    }
    expect(own.find((e) => e.kind === 'command')?.value).toEqual({
      type: 'json',
      value: expect.objectContaining({ action: 'write', target: 'setpoint', arguments: 5 }),
    });
    expect(own.find((e) => e.kind === 'command-result')?.value).toEqual({
      type: 'json',
      value: { status: 'failed', failure: outcome.failure },
    });
  };
  const start = (entry: string, env: Record<string, string>) => processes.start(entry, env);
  const startReplica = async () =>
    start(connectorEntry, {
      ...(await busEnv('connector-service')),
      CONNECTOR_REPLICA_ID: replica,
      CONNECTOR_PROTOCOLS: 'opcua',
      CONNECTOR_HEARTBEAT_INTERVAL_MS: '200',
      CONNECTOR_OUTBOUND: 'false',
    });

  beforeAll(async () => {
    ServiceProcesses.assertBuilt();
    database = await createTestDatabase('of_connmgmt_cmrec');
    url = await start(managementEntry, {
      DATABASE_URL: database.url,
      ...(await busEnv()),
      CONNECTOR_TOKENS: `${token}=${tenant}`,
      CONNECTOR_REPLICA_FILTER: `^${prefix}-`,
      CONNECTOR_LEASE_MS: '2000',
      CONNECTOR_RECONCILE_MS: '200',
      CONNECTOR_RECORD_RELAY_MS: '200',
    });
    await outrankOtherCoordinators(database.url);
    await putDevice('valve-line', {
      protocol: 'mqtt',
      endpoint: readPlatformEnv().OPENFOUNDRY_MQTT_URL,
      points: [
        { asset: valveAsset, attribute: 'setpoint', topic: `of-cmrec/${prefix}/setpoint`, writable: true },
      ],
    });
    // Runs on the replica once it is up, never online: nobody serves this endpoint.
    await putDevice('kiln-line', {
      protocol: 'opcua',
      endpoint: `opc.tcp://127.0.0.1:${await freePort()}/nobody`,
      points: [{ asset: kilnAsset, attribute: 'setpoint', nodeId: 'ns=1;s=Kiln.setpoint', writable: true }],
    });
  }, 90_000);

  afterAll(async () => {
    await processes.stop();
    await database?.drop();
  }, 60_000);

  it('keeps commands it answered while no replica is alive until one comes up, then records them', async () => {
    const unknown = await command(ghostAsset);
    expect(unknown.status).toBe(404);
    expect(unknown.outcome.failure?.code).toBe('unknown-asset');
    const offline = await command(valveAsset);
    expect(offline.status).toBe(503);
    expect(offline.outcome).toMatchObject({
      failure: { code: 'offline', message: expect.stringContaining('no live replica') },
      device: 'valve-line',
    });
    for (const { outcome } of [unknown, offline])
      expect((await record(outcome.commandId)).assetStream).toEqual({
        recordedBy: 'coordinator',
        recordedAt: null,
        error: null,
      });

    await startReplica();
    for (const { outcome } of [unknown, offline]) {
      const stream = await recorded(outcome.commandId);
      expect(stream.recordedBy).toBe('coordinator');
      expect(Date.parse(stream.recordedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(outcome.completedAt));
    }
    const events = await eventsOf([unknown.outcome.commandId, offline.outcome.commandId]);
    expectRecorded(events, unknown.outcome, '-');
    expectRecorded(events, offline.outcome, 'valve-line');
  }, 90_000);

  it('records an offline command answered while a replica is alive but none runs the device', async () => {
    const { status, outcome } = await command(valveAsset);
    expect(status).toBe(503);
    expect(outcome.failure).toMatchObject({
      code: 'offline',
      message: expect.stringContaining('no live replica'),
    });
    await recorded(outcome.commandId);
    expectRecorded(await eventsOf([outcome.commandId]), outcome, 'valve-line');
  }, 60_000);

  it('leaves a command the replica ran to that replica: it records it before answering', async () => {
    await waitFor(
      'kiln-line on the replica',
      async () => {
        const response = await api(`/v1/tenants/${tenant}/devices/kiln-line`);
        const body = (await response.json()) as { byReplica?: { replica: string }[] };
        return body.byReplica?.some((r) => r.replica === replica);
      },
      30_000,
    );
    const { status, outcome } = await command(kilnAsset);
    expect(status).toBe(503);
    expect(outcome).toMatchObject({ failure: { code: 'offline' }, device: 'kiln-line', replica });
    expect((await record(outcome.commandId)).assetStream).toEqual({
      recordedBy: 'replica',
      recordedAt: null,
      error: null,
    });
    const own = await eventsOf([outcome.commandId]);
    expect(own.map((e) => e.kind).sort()).toEqual(['command', 'command-result']);
    expect(own.every((e) => e.source.replica === replica && e.source.device === 'kiln-line')).toBe(true);
  }, 60_000);

  it('writes the same event ids when a command is recorded again, so readers skip the repeat', async () => {
    const { outcome } = await command(ghostAsset);
    await recorded(outcome.commandId);
    const { command: stored } = await record(outcome.commandId);
    const coordinator = await controlBusAs('connector-management-service');
    try {
      const reply = await coordinator.request(subjects.connectorCommandRecord, {
        tokens: { replica },
        value: { command: stored, outcome },
        timeoutMs: 10_000,
      });
      expect(reply).toEqual({ commandId: outcome.commandId, recorded: true, replica });
    } finally {
      await coordinator.close();
    }
    const events = await eventsOf([outcome.commandId], 4);
    expect(events).toHaveLength(4);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(2);
  }, 60_000);

  it('refuses a command too large to be recorded with its outcome, and stores nothing (413)', async () => {
    const commandId = '0190a0a0-0000-7000-8000-0000000000aa';
    const response = await api(`/v1/tenants/${tenant}/commands`, {
      method: 'POST',
      body: JSON.stringify({
        commandId,
        assetId: ghostAsset,
        action: 'write',
        target: 'setpoint',
        arguments: 'x'.repeat(70_000),
      }),
    });
    expect(response.status).toBe(413);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error).toMatchObject({
      code: 'COMMAND_TOO_LARGE',
      message: expect.stringContaining('control-bus message'),
    });
    expect((await api(`/v1/tenants/${tenant}/commands/${commandId}`)).status).toBe(404);
  });

  it('gives up, keeping the reason, on a stored command no replica can take, and still records the next', async () => {
    // A row from before the size limit (or written by hand): answered here, far too large for a
    // record request, which carries the command and its outcome. The relay's own check refuses it.
    const commandId = '0190a0a0-0000-7000-8000-0000000000bb';
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      await db.query(
        `insert into commands (command_id, tenant, asset_id, action, target, arguments, deadline, requester,
           status, failure_code, failure_message, requested_at, completed_at, recorded_by_coordinator)
         values ($1, $2, $3, 'write', 'setpoint', $4, now(), 'command-records', 'failed', 'unknown-asset',
           'no device maps the asset', now(), now(), true)`,
        [commandId, tenant, ghostAsset, JSON.stringify('x'.repeat(70_000))],
      );
    } finally {
      await db.end();
    }
    const gaveUp = await waitFor(
      `the relay to give up on ${commandId}`,
      async () => {
        const { assetStream } = await record(commandId);
        return assetStream?.error ? assetStream : undefined;
      },
      30_000,
    );
    expect(gaveUp).toEqual({
      recordedBy: 'coordinator',
      recordedAt: null,
      error: expect.stringContaining(BusErrorCode.TooLarge),
    });
    // It no longer holds a place in the queue: a later command is recorded as usual.
    const { outcome } = await command(ghostAsset);
    await recorded(outcome.commandId);
    expect((await record(commandId)).assetStream?.recordedAt).toBeNull();
  }, 60_000);

  it('refuses a malformed record request, and senders other than the coordinator', async () => {
    const coordinator = await controlBusAs('connector-management-service');
    const tenancy = await controlBusAs('tenancy-service');
    const valid: { command: DeviceCommand; outcome: CommandOutcome } = {
      command: {
        commandId: '0190a0a0-0000-7000-8000-000000000001',
        tenant,
        assetId: ghostAsset,
        action: 'write',
        target: 'setpoint',
        arguments: 1,
        deadline: new Date().toISOString(),
        requester: 'command-records',
      },
      outcome: {
        commandId: '0190a0a0-0000-7000-8000-000000000001',
        status: 'failed',
        failure: { code: 'unknown-asset', message: 'none' },
        completedAt: new Date().toISOString(),
      },
    };
    try {
      await expect(
        coordinator.request(subjects.connectorCommandRecord, {
          tokens: { replica },
          value: { ...valid, command: { ...valid.command, assetId: 'not an id' } },
        }),
      ).rejects.toMatchObject({ code: BusErrorCode.InvalidPayload });
      await expect(
        tenancy.request(subjects.connectorCommandRecord, { tokens: { replica }, value: valid }),
      ).rejects.toMatchObject({ code: BusErrorCode.NotOwner });
    } finally {
      await Promise.all([coordinator.close(), tenancy.close()]);
    }
  });
});

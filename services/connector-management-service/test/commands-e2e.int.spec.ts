import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type AssetEvent, type CommandOutcome, subjects, topics } from '@openfoundry/bus-registry';
import { readTopic } from '@openfoundry/bus-registry/testing';
import {
  attributeSpecs,
  OpcUaDriver,
  opcuaNodeId,
  RESET_METHOD,
  SETPOINT,
  SETPOINT_DEFAULT,
} from '@openfoundry/factory-sim';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { createTestDatabase, freePort, type TestDatabase } from '@openfoundry/service-kit/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busEnv, controlBusAs } from './bus-env.ts';
import { bearer, uniqueTenant } from './factories.ts';
import { runPrefix, waitFor } from './fake-replicas.ts';
import {
  connectorEntry,
  managementEntry,
  outrankOtherCoordinators,
  ServiceProcesses,
} from './service-processes.ts';

// The whole command chain with real processes: the built management service and two built
// connector replicas on free ports, a real OPC UA server (the factory simulator's) and Mosquitto.
// The simulator's CLI serves OPC UA from a process of its own, which the test can stall (SIGSTOP).
const simCli = fileURLToPath(new URL('../../../tools/factory-sim/src/cli.ts', import.meta.url));

/** Asset events written after this are the ones this file looks for (slack for clock skew). */
const since = new Date(Date.now() - 60_000);

interface ErrorBody {
  error: { code: string; details: { path: string }[] };
}

const hex = () => randomBytes(3).toString('hex');

describe('device commands through real connector replicas', () => {
  const prefix = runPrefix();
  const tenant = uniqueTenant('cmde2e');
  const otherTenant = uniqueTenant('cmde2e');
  const tokens = { tenant: `t-${hex()}`, other: `o-${hex()}` };
  const asTenant = bearer(tokens.tenant);
  const opcAsset = `press-${hex()}`;
  const mqttAsset = `mixer-${hex()}`;
  const deadAsset = `kiln-${hex()}`;
  const stallPrefix = `oven${hex()}-`;
  const stallAsset = `${stallPrefix}0001`;
  const topicRoot = `of-cmd-e2e/${prefix}`;
  const written: number[] = [];
  const received: { topic: string; payload: string }[] = [];
  const processes = new ServiceProcesses();
  const outcomes = new Map<string, CommandOutcome>();
  let database: TestDatabase;
  let opcua: OpcUaDriver;
  let subscriber: MqttClient;
  let stalling: ChildProcess | undefined;
  let url: string;

  const api = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...asTenant, ...init.headers },
    });
  const putDevice = async (id: string, spec: object) => {
    const response = await api(`/v1/tenants/${tenant}/devices/${id}`, {
      method: 'PUT',
      body: JSON.stringify(spec),
    });
    expect(response.status, await response.clone().text()).toBe(201);
  };
  const inspect = async (id: string) => {
    const response = await api(`/v1/tenants/${tenant}/devices/${id}`);
    expect(response.status).toBe(200);
    return (await response.json()) as {
      status: string;
      replicas: string[];
      byReplica: { replica: string; status: string; detail: string | null }[];
    };
  };
  /** Sends a command over REST; remembers the outcome so the asset stream can be checked for it. */
  const command = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await api(`/v1/tenants/${tenant}/commands`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers,
    });
    const json = (await response.json()) as CommandOutcome & Partial<ErrorBody>;
    if (typeof json.commandId === 'string' && typeof json.status === 'string')
      outcomes.set(json.commandId, json);
    return { status: response.status, body: json };
  };
  const start = (entry: string, env: Record<string, string>) => processes.start(entry, env);

  beforeAll(async () => {
    ServiceProcesses.assertBuilt();
    database = await createTestDatabase('of_connmgmt_cmde2e');

    opcua = new OpcUaDriver(
      {
        port: await freePort(),
        tenant,
        assets: [{ id: opcAsset, index: 0, protocol: 'opcua' }],
        attributes: attributeSpecs(1),
      },
      (event, status) => {
        if (status === 'written') written.push(event.value as number);
      },
    );
    await opcua.start();

    const mqttUrl = readPlatformEnv().OPENFOUNDRY_MQTT_URL;
    subscriber = await mqtt.connectAsync(mqttUrl, { clientId: `of-cmd-e2e-${prefix}`, clean: true });
    subscriber.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
    await subscriber.subscribeAsync(`${topicRoot}/#`, { qos: 1 });

    url = await start(managementEntry, {
      DATABASE_URL: database.url,
      ...(await busEnv()),
      CONNECTOR_TOKENS: `${tokens.tenant}=${tenant},${tokens.other}=${otherTenant}`,
      CONNECTOR_REPLICA_FILTER: `^${prefix}-`,
      CONNECTOR_LEASE_MS: '2000',
      CONNECTOR_RECONCILE_MS: '200',
      CONNECTOR_STATUS_WRITE_MS: '200',
    });
    await outrankOtherCoordinators(database.url);
    const connectorEnv = await busEnv('connector-service');
    await Promise.all(
      ['r1', 'r2'].map((name) =>
        start(connectorEntry, {
          ...connectorEnv,
          CONNECTOR_REPLICA_ID: `${prefix}-${name}`,
          CONNECTOR_PROTOCOLS: 'mqtt,opcua',
          CONNECTOR_HEARTBEAT_INTERVAL_MS: '200',
          // This file's devices have no outbound rules: stay out of the platform's outbound group.
          CONNECTOR_OUTBOUND: 'false',
        }),
      ),
    );

    // Declared as an operator would, through the REST API.
    await putDevice('press-line', {
      protocol: 'opcua',
      endpoint: opcua.endpoint,
      points: [
        { asset: opcAsset, attribute: 'temperature', nodeId: opcuaNodeId(opcAsset, 'temperature') },
        { asset: opcAsset, attribute: SETPOINT, nodeId: opcuaNodeId(opcAsset, SETPOINT), writable: true },
        // Declared writable, but read-only on the server (Server.ServerStatus.BuildInfo.ProductName).
        { asset: opcAsset, attribute: 'product', nodeId: 'ns=0;i=2261', writable: true },
      ],
    });
    await putDevice('mixer-line', {
      protocol: 'mqtt',
      endpoint: mqttUrl,
      points: [
        {
          asset: mqttAsset,
          attribute: 'setpoint',
          topic: `${topicRoot}/${mqttAsset}/setpoint`,
          payload: 'json',
          valueType: 'double',
          writable: true,
        },
        {
          asset: mqttAsset,
          attribute: 'temperature',
          topic: `${topicRoot}/${mqttAsset}/temperature`,
          payload: 'json',
        },
      ],
    });
    // An OPC UA device at an endpoint nobody serves: it runs on a replica, never online.
    await putDevice('kiln-line', {
      protocol: 'opcua',
      endpoint: `opc.tcp://127.0.0.1:${await freePort()}/nobody`,
      points: [{ asset: deadAsset, attribute: SETPOINT, nodeId: 'ns=1;s=Kiln.setpoint', writable: true }],
    });
    // One simulated asset whose OPC UA server runs as its own process.
    const stallPort = await freePort();
    stalling = spawn(
      process.execPath,
      [
        ...[simCli, '--tenant', tenant, '--assets', '1', '--attributes', '1', '--rate', '1'],
        ...['--asset-prefix', stallPrefix, '--opcua-port', String(stallPort)],
      ],
      { stdio: 'ignore' },
    );
    await putDevice('oven-line', {
      protocol: 'opcua',
      endpoint: `opc.tcp://127.0.0.1:${stallPort}/factory`,
      points: [
        { asset: stallAsset, attribute: SETPOINT, nodeId: opcuaNodeId(stallAsset, SETPOINT), writable: true },
      ],
    });
    let seen: unknown[] = [];
    await waitFor(
      'the devices online',
      async () => {
        const [press, mixer, oven, kiln] = await Promise.all(
          ['press-line', 'mixer-line', 'oven-line', 'kiln-line'].map(inspect),
        );
        seen = [press, mixer, oven, kiln];
        return (
          press?.status === 'online' &&
          mixer?.status === 'online' &&
          oven?.status === 'online' &&
          kiln?.byReplica.some((r) => r.status !== 'online')
        );
      },
      45_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(seen)}\n${processes.output()}`);
    });
  }, 120_000);

  afterAll(async () => {
    stalling?.kill('SIGCONT');
    stalling?.kill('SIGTERM');
    await processes.stop();
    await subscriber?.endAsync();
    await opcua?.close();
    await database?.drop();
  }, 60_000);

  /** The replica the management service lists for a device: the one that must have run the command. */
  const owner = async (device: string) => {
    const { replicas } = await inspect(device);
    expect(replicas).toHaveLength(1);
    return replicas[0];
  };

  it('spreads the devices over both replicas', async () => {
    const devices = ['press-line', 'mixer-line', 'oven-line', 'kiln-line'];
    const owners = new Set(await Promise.all(devices.map(owner)));
    expect([...owners].sort()).toEqual([`${prefix}-r1`, `${prefix}-r2`]);
  });

  it('writes an OPC UA variable: acknowledged, and the server holds the new value', async () => {
    const { status, body } = await command({
      assetId: opcAsset,
      action: 'write',
      target: SETPOINT,
      arguments: 72.5,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({
      status: 'acknowledged',
      device: 'press-line',
      replica: await owner('press-line'),
      result: { nodeId: opcuaNodeId(opcAsset, SETPOINT) },
    });
    expect(opcua.setpoint(opcAsset)).toBe(72.5);
    expect(written).toEqual([72.5]);
  });

  it('calls an OPC UA method: acknowledged with its result, and the server ran it', async () => {
    const events = opcua.eventsRaised;
    const { status, body } = await command({
      assetId: opcAsset,
      action: 'call',
      target: opcuaNodeId(opcAsset, RESET_METHOD),
      arguments: [],
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({
      status: 'acknowledged',
      device: 'press-line',
      replica: await owner('press-line'),
      result: { outputArguments: [] },
    });
    // Reset puts the setpoint back to its default and raises an event.
    expect(opcua.setpoint(opcAsset)).toBe(SETPOINT_DEFAULT);
    expect(opcua.eventsRaised).toBe(events + 1);
  });

  it('writes an MQTT point and publishes an MQTT command: both reach a subscriber', async () => {
    const write = await command({ assetId: mqttAsset, action: 'write', target: 'setpoint', arguments: 42 });
    expect(write.status, JSON.stringify(write.body)).toBe(200);
    expect(write.body).toMatchObject({
      status: 'acknowledged',
      device: 'mixer-line',
      replica: await owner('mixer-line'),
    });
    const publishTopic = `${topicRoot}/${mqttAsset}/cmd/start`;
    const publish = await command({
      assetId: mqttAsset,
      action: 'publish',
      target: publishTopic,
      arguments: { speed: 3, mode: 'gentle' },
    });
    expect(publish.status, JSON.stringify(publish.body)).toBe(200);
    expect(publish.body).toMatchObject({ status: 'acknowledged', device: 'mixer-line' });

    // QoS 1 was acknowledged by the broker before the command was; the subscriber gets it shortly.
    await waitFor('both MQTT messages', () => received.length >= 2, 10_000);
    const setTopic = `${topicRoot}/${mqttAsset}/setpoint/set`;
    expect(received.map((m) => m.topic).sort()).toEqual([publishTopic, setTopic].sort());
    const set = received.find((m) => m.topic === setTopic);
    expect(JSON.parse(set?.payload ?? '')).toEqual({ value: 42, commandId: write.body.commandId });
    const published = received.find((m) => m.topic === publishTopic);
    expect(JSON.parse(published?.payload ?? '')).toEqual({ speed: 3, mode: 'gentle' });
  });

  it('refuses writes to points that are not writable, and the server refusing one, with 409', async () => {
    const notDeclared = await command({
      assetId: opcAsset,
      action: 'write',
      target: 'temperature',
      arguments: 1,
    });
    expect(notDeclared.status).toBe(409);
    expect(notDeclared.body).toMatchObject({
      status: 'failed',
      failure: { code: 'refused', message: expect.stringContaining('not writable') },
      replica: await owner('press-line'),
    });
    const mqttReadOnly = await command({
      assetId: mqttAsset,
      action: 'write',
      target: 'temperature',
      arguments: 1,
    });
    expect(mqttReadOnly.status).toBe(409);
    expect(mqttReadOnly.body.failure?.code).toBe('refused');

    const serverRefuses = await command({
      assetId: opcAsset,
      action: 'write',
      target: 'product',
      arguments: 'x',
    });
    expect(serverRefuses.status, JSON.stringify(serverRefuses.body)).toBe(409);
    expect(serverRefuses.body.failure).toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/BadNotWritable|BadUserAccessDenied/),
    });
    // Nothing was written on either device.
    expect(written).toEqual([72.5]);
    expect(received.some((m) => m.topic.endsWith('/temperature/set'))).toBe(false);
  });

  it('answers a command the device cannot take as invalid with 400', async () => {
    const { status, body } = await command({
      assetId: opcAsset,
      action: 'call',
      target: opcuaNodeId(opcAsset, RESET_METHOD),
      arguments: [1, 2],
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ status: 'failed', failure: { code: 'invalid' } });
  });

  it('fails an unknown asset with 404', async () => {
    const { status, body } = await command({
      assetId: `ghost-${hex()}`,
      action: 'write',
      target: 'setpoint',
      arguments: 1,
    });
    expect(status).toBe(404);
    expect(body).toMatchObject({ status: 'failed', failure: { code: 'unknown-asset' } });
  });

  it('fails a device that is not connected as offline with 503', async () => {
    const { status, body } = await command({
      assetId: deadAsset,
      action: 'write',
      target: SETPOINT,
      arguments: 1,
    });
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'failed', failure: { code: 'offline' }, device: 'kiln-line' });
  });

  it('fails a passed deadline as deadline-expired with 504, and does not run it', async () => {
    const { status, body } = await command({
      assetId: opcAsset,
      action: 'write',
      target: SETPOINT,
      arguments: 99,
      deadline: new Date(Date.now() - 1_000).toISOString(),
    });
    expect(status).toBe(504);
    expect(body).toMatchObject({ status: 'failed', failure: { code: 'deadline-expired' } });
    expect(opcua.setpoint(opcAsset)).toBe(SETPOINT_DEFAULT);
  });

  it('fails a command whose device stalls past the deadline as deadline-expired with 504', async () => {
    const oven = await owner('oven-line');
    // The simulator's process is stopped: its server takes the write and cannot answer.
    stalling?.kill('SIGSTOP');
    try {
      const { status, body } = await command({
        assetId: stallAsset,
        action: 'write',
        target: SETPOINT,
        arguments: 7,
        deadline: new Date(Date.now() + 1_500).toISOString(),
      });
      expect(status, JSON.stringify(body)).toBe(504);
      expect(body).toMatchObject({
        status: 'failed',
        failure: { code: 'deadline-expired' },
        device: 'oven-line',
        replica: oven,
      });
    } finally {
      stalling?.kill('SIGCONT');
    }
  });

  it('refuses malformed commands with 400, other tenants with 403, no token with 401', async () => {
    const malformed = await command({
      assetId: 'not an id',
      action: 'explode',
      target: '',
      deadline: 'soon',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error?.code).toBe('VALIDATION_FAILED');
    expect(malformed.body.error?.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['assetId', 'action', 'target', 'deadline']),
    );
    const notJson = await api(`/v1/tenants/${tenant}/commands`, { method: 'POST', body: '{"assetId":' });
    expect(notJson.status).toBe(400);

    const other = await command(
      { assetId: opcAsset, action: 'write', target: SETPOINT, arguments: 1 },
      bearer(tokens.other),
    );
    expect(other.status).toBe(403);
    const anonymous = await fetch(`${url}/v1/tenants/${tenant}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ assetId: opcAsset, action: 'write', target: SETPOINT, arguments: 1 }),
    });
    expect(anonymous.status).toBe(401);
    expect(opcua.setpoint(opcAsset)).toBe(SETPOINT_DEFAULT);
  });

  it('runs a command requested on connector-management.{tenant}.command', async () => {
    // The registry declares no other sender of this subject, so the owner's identity asks.
    const requester = await controlBusAs('connector-management-service');
    try {
      const ask = () =>
        requester.request(subjects.deviceCommand, {
          tokens: { tenant },
          value: {
            commandId: randomUUID(),
            tenant,
            assetId: opcAsset,
            action: 'write' as const,
            target: SETPOINT,
            arguments: 61,
            deadline: new Date(Date.now() + 10_000).toISOString(),
            requester: 'commands-e2e',
          },
          timeoutMs: 15_000,
        });
      // Every connector-management-service instance on this NATS answers the subject in one queue
      // group (in production they share one database). One with its own database, another test
      // file's or a platform's running on this machine, knows no such asset: ask again.
      let outcome = await ask();
      for (let attempt = 1; outcome.failure?.code === 'unknown-asset' && attempt < 20; attempt++)
        outcome = await ask();
      outcomes.set(outcome.commandId, outcome);
      expect(outcome).toMatchObject({ status: 'acknowledged', replica: await owner('press-line') });
      expect(opcua.setpoint(opcAsset)).toBe(61);
      const record = await api(`/v1/tenants/${tenant}/commands/${outcome.commandId}`);
      expect(await record.json()).toMatchObject({
        status: 'acknowledged',
        device: 'press-line',
        command: { requester: 'commands-e2e', arguments: 61 },
      });
    } finally {
      await requester.close();
    }
  });

  it('records every command a replica ran, and its outcome, on the asset stream', async () => {
    const ran = [...outcomes.values()].filter((o) => o.replica !== undefined);
    // Everything but the unknown asset and the requests refused before routing reached a replica.
    expect(ran.map((o) => o.failure?.code ?? o.status).sort()).toEqual(
      [
        ...['acknowledged', 'acknowledged', 'acknowledged', 'acknowledged', 'acknowledged'],
        ...['refused', 'refused', 'refused', 'invalid', 'offline', 'deadline-expired', 'deadline-expired'],
      ].sort(),
    );
    const ids = new Set(ran.map((o) => o.commandId));
    const mine = (value: unknown) => {
      const event = value as AssetEvent;
      return event.tenant === tenant && event.commandId !== undefined && ids.has(event.commandId);
    };
    const records = await readTopic(
      topics.assetEvents.name,
      (rs) => rs.filter((r) => mine(r.value)).length >= 2 * ids.size,
      20_000,
      { since },
    );
    const events = records
      .filter((r) => mine(r.value))
      .map((r) => ({ ...(r.value as AssetEvent), key: r.key }));
    for (const outcome of ran) {
      const own = events.filter((e) => e.commandId === outcome.commandId);
      expect(own.map((e) => e.kind).sort(), outcome.commandId).toEqual(['command', 'command-result']);
      const [requested, result] = [
        own.find((e) => e.kind === 'command'),
        own.find((e) => e.kind === 'command-result'),
      ];
      expect(requested?.source.replica).toBe(outcome.replica);
      expect(result?.value).toMatchObject({
        type: 'json',
        value: {
          status: outcome.status,
          ...(outcome.failure ? { failure: { code: outcome.failure.code } } : {}),
        },
      });
      expect(requested?.key).toBe(`${tenant}/${requested?.assetId}`);
    }
  }, 40_000);
});

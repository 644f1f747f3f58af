import { readPlatformEnv } from '@openfoundry/infra-local';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceManager } from '../src/devices/device-manager.ts';
import {
  assetEventsOf,
  type Connector,
  deviceSpec,
  eventually,
  FakeCoordinator,
  startConnector,
  unique,
} from './harness.ts';

const broker = readPlatformEnv().OPENFOUNDRY_MQTT_URL;

describe('commands to MQTT devices', () => {
  let connector: Connector;
  let coordinator: FakeCoordinator;
  let device: MqttClient;
  const received: { topic: string; payload: string }[] = [];
  const tenant = unique('t');
  const root = unique('of-test');

  beforeAll(async () => {
    connector = await startConnector();
    coordinator = await FakeCoordinator.connect();
    device = await mqtt.connectAsync(broker, { clientId: unique('of-test-device') });
    device.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
    await device.subscribeAsync(`${root}/#`, { qos: 1 });
    const spec = deviceSpec({
      tenant,
      protocol: 'mqtt',
      endpoint: broker,
      points: [
        {
          topic: `${root}/{asset}/setpoint`,
          attribute: 'setpoint',
          payload: 'json',
          kind: 'sample',
          writable: true,
        },
        { topic: `${root}/{asset}/{attribute}`, payload: 'plain', kind: 'sample', writable: false },
      ],
    });
    await coordinator.assign(connector.replica, [spec]);
    await eventually(() => {
      if (connector.app.app.get(DeviceManager).get(tenant, spec.id)?.status !== 'online')
        throw new Error('offline');
    });
  });
  afterAll(async () => {
    await device?.endAsync();
    await coordinator?.close();
    await connector?.close();
  });

  it('publishes a write to the point topic with /set and acknowledges it', async () => {
    const outcome = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'oven-1',
      action: 'write',
      target: 'setpoint',
      arguments: 180,
    });
    expect(outcome).toMatchObject({ status: 'acknowledged', replica: connector.replica });
    const message = await eventually(() => {
      const found = received.find((m) => m.topic === `${root}/oven-1/setpoint/set`);
      if (!found) throw new Error('not yet');
      return found;
    });
    expect(JSON.parse(message.payload)).toEqual({ value: 180, commandId: outcome.commandId });

    const events = await assetEventsOf(tenant, 2);
    expect(events.map((e) => [e.kind, e.assetId, e.attribute, e.commandId, e.value.type])).toEqual([
      ['command', 'oven-1', 'setpoint', outcome.commandId, 'json'],
      ['command-result', 'oven-1', 'setpoint', outcome.commandId, 'json'],
    ]);
    expect(events[1]?.value.value).toEqual({
      status: 'acknowledged',
      result: { topic: `${root}/oven-1/setpoint/set` },
    });
  });

  it('refuses a write to a point that is not writable', async () => {
    const outcome = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'oven-1',
      action: 'write',
      target: 'temperature',
      arguments: 1,
    });
    expect(outcome).toMatchObject({ status: 'failed', failure: { code: 'refused' } });
  });

  it('publishes arguments to the target topic', async () => {
    const target = `${root}/oven-2/cmd`;
    const outcome = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'oven-2',
      action: 'publish',
      target,
      arguments: { start: true },
    });
    expect(outcome.status).toBe('acknowledged');
    await eventually(() => {
      if (!received.some((m) => m.topic === target && m.payload === '{"start":true}'))
        throw new Error('not yet');
    });
  });

  it('answers offline for an asset no device here serves, deadline-expired and invalid', async () => {
    const offline = await coordinator.command(connector.replica, {
      tenant: unique('other'),
      assetId: 'oven-1',
      action: 'write',
      target: 'setpoint',
      arguments: 1,
    });
    expect(offline).toMatchObject({ status: 'failed', failure: { code: 'offline' } });

    const expired = await coordinator.command(
      connector.replica,
      { tenant, assetId: 'oven-1', action: 'write', target: 'setpoint', arguments: 1 },
      new Date(Date.now() - 1_000),
    );
    expect(expired).toMatchObject({ status: 'failed', failure: { code: 'deadline-expired' } });

    const wildcard = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'oven-1',
      action: 'publish',
      target: `${root}/+/cmd`,
      arguments: 'x',
    });
    expect(wildcard).toMatchObject({ status: 'failed', failure: { code: 'invalid' } });
    const call = await coordinator.command(connector.replica, {
      tenant,
      assetId: 'oven-1',
      action: 'call',
      target: 'reset',
    });
    expect(call).toMatchObject({ status: 'failed', failure: { code: 'invalid' } });
  });
});

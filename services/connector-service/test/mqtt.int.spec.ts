import type { AssetEvent } from '@openfoundry/bus-registry';
import { readPlatformEnv } from '@openfoundry/infra-local';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceManager } from '../src/devices/device-manager.ts';
import {
  assetEventsOf,
  type Connector,
  deadLettersOf,
  deviceSpec,
  eventually,
  FakeCoordinator,
  startConnector,
  unique,
} from './harness.ts';

const broker = readPlatformEnv().OPENFOUNDRY_MQTT_URL;

describe('MQTT devices', () => {
  let connector: Connector;
  let coordinator: FakeCoordinator;
  let client: MqttClient;

  beforeAll(async () => {
    connector = await startConnector();
    coordinator = await FakeCoordinator.connect();
    client = await mqtt.connectAsync(broker, { clientId: unique('of-test-device') });
  });
  afterAll(async () => {
    await client?.endAsync();
    await coordinator?.close();
    await connector?.close();
  });

  /** Assigns an MQTT device with a JSON point `<root>/{asset}/{attribute}` and a plain point `<root>/plain/{asset}/level`. */
  async function mqttDevice(tenant: string, root: string, extra: object = {}) {
    const spec = deviceSpec({
      tenant,
      protocol: 'mqtt',
      endpoint: broker,
      points: [
        { topic: `${root}/json/{asset}/{attribute}`, payload: 'json', kind: 'sample', writable: true },
        {
          topic: `${root}/plain/{asset}/level`,
          attribute: 'level',
          payload: 'plain',
          valueType: 'double',
          kind: 'sample',
          writable: false,
        },
      ],
      ...extra,
    });
    const reply = await coordinator.assign(connector.replica, [spec]);
    expect(reply).toMatchObject({
      replica: connector.replica,
      running: [`${tenant}/${spec.id}`],
      rejected: [],
    });
    await eventually(() => {
      const status = connector.app.app.get(DeviceManager).get(tenant, spec.id)?.status;
      if (status !== 'online') throw new Error(`device is ${status}`);
    });
    return spec;
  }

  it('turns QoS 1 JSON and plain payloads into asset events with key, attribute, value and sequence', async () => {
    const tenant = unique('t');
    const root = unique('of-test');
    await mqttDevice(tenant, root);
    const ts = Date.now() - 5_000;
    await client.publishAsync(
      `${root}/json/press-1/temperature`,
      JSON.stringify({ value: 80.25, ts, seq: 41, unit: 'Cel' }),
      { qos: 1 },
    );
    await client.publishAsync(`${root}/json/press-1/temperature`, JSON.stringify({ value: 80.5, seq: 42 }), {
      qos: 1,
    });
    await client.publishAsync(`${root}/plain/press-2/level`, '12.75', { qos: 1 });

    const events = (await assetEventsOf(tenant, 3)) as (AssetEvent & { key: string })[];
    // Order holds per asset (one partition each), not across assets.
    events.sort((a, b) => a.key.localeCompare(b.key));
    expect(events.map((e) => [e.key, e.attribute, e.value, e.sequence])).toEqual([
      [`${tenant}/press-1`, 'temperature', { type: 'double', value: 80.25 }, 41],
      [`${tenant}/press-1`, 'temperature', { type: 'double', value: 80.5 }, 42],
      [`${tenant}/press-2`, 'level', { type: 'double', value: 12.75 }, undefined],
    ]);
    expect(events[0]?.sourceTime).toBe(new Date(ts).toISOString());
    expect(events[0]?.unit).toBe('Cel');
    expect(events[0]?.source.protocol).toBe('mqtt');
  });

  it('dead-letters bad payloads with their reason and the original bytes', async () => {
    const tenant = unique('t');
    const root = unique('of-test');
    const spec = await mqttDevice(tenant, root, { allowedAssets: ['press-1'] });
    const future = Date.now() + 24 * 3_600_000;
    const bad: [string, string, string][] = [
      [`${root}/json/press-1/temperature`, '{"value": 1', 'unparsable'],
      [`${root}/json/press-1/temperature`, '{"v":1}', 'schema'],
      [`${root}/plain/press-1/level`, 'high', 'wrong-type'],
      [`${root}/json/press-1/temperature`, JSON.stringify({ value: 1, ts: future }), 'out-of-range-time'],
      [`${root}/json/press-9/temperature`, JSON.stringify({ value: 1 }), 'unknown-asset'],
    ];
    for (const [topic, payload] of bad) await client.publishAsync(topic, payload, { qos: 1 });
    await client.publishAsync(`${root}/json/press-1/temperature`, JSON.stringify({ value: 2 }), { qos: 1 });

    const letters = await deadLettersOf(`mqtt:${tenant}/${spec.id}:`, bad.length);
    expect(
      letters.map((l) => [
        l.headers['dlq-source'],
        String(l.value === undefined ? '' : typeof l.value === 'string' ? l.value : JSON.stringify(l.value)),
        l.headers['dlq-reason'],
      ]),
    ).toEqual(bad.map(([topic, payload, reason]) => [`mqtt:${tenant}/${spec.id}:${topic}`, payload, reason]));
    expect(letters.every((l) => (l.headers['dlq-detail'] ?? '').length > 0)).toBe(true);
    // The device goes on: the good message after the bad ones still arrives.
    const events = await assetEventsOf(tenant, 1);
    expect(events.map((e) => e.value)).toEqual([{ type: 'double', value: 2 }]);
  });
});

import { readPlatformEnv } from '@openfoundry/infra-local';
import { FaultProxy } from '@openfoundry/infra-local/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assetEvents,
  deviceOnline,
  deviceSpec,
  eventually,
  FakeCoordinator,
  startConnector,
  unique,
} from './harness.ts';

const env = readPlatformEnv();

describe('MQTT messages are acknowledged to the broker only after Kafka acknowledged', () => {
  let proxy: FaultProxy;
  let coordinator: FakeCoordinator;
  let device: MqttClient;

  beforeAll(async () => {
    proxy = new FaultProxy({
      listenPort: Number(env.OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT),
      targetPort: Number(env.OPENFOUNDRY_KAFKA_FAULT_PORT),
    });
    await proxy.start();
    coordinator = await FakeCoordinator.connect();
    device = await mqtt.connectAsync(env.OPENFOUNDRY_MQTT_URL, { clientId: unique('of-test-device') });
  });
  afterAll(async () => {
    proxy?.restore();
    await device?.endAsync();
    await coordinator?.close();
    await proxy?.stop();
  });

  const online = deviceOnline;

  it('leaves a message the replica could not write with the broker, which gives it to the next replica', async () => {
    const tenant = unique('t');
    const root = unique('of-test');
    const spec = deviceSpec({
      tenant,
      protocol: 'mqtt',
      endpoint: env.OPENFOUNDRY_MQTT_URL,
      points: [{ topic: `${root}/{asset}/{attribute}`, payload: 'json', kind: 'sample', writable: false }],
    });
    // Replica A reaches Kafka through a proxy the test cuts (the broker's fault listener advertises it).
    const first = await startConnector({
      OPENFOUNDRY_KAFKA_BROKERS: `127.0.0.1:${env.OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT}`,
      CONNECTOR_OUTBOUND: 'false',
    });
    try {
      await coordinator.assign(first.replica, [spec]);
      const runtime = await online(first, tenant, spec.id);
      await device.publishAsync(`${root}/press-1/count`, JSON.stringify({ value: 1, seq: 1 }), { qos: 1 });
      await eventually(() => expect(runtime.counters.published).toBe(1));

      proxy.cut();
      await device.publishAsync(`${root}/press-1/count`, JSON.stringify({ value: 2, seq: 2 }), { qos: 1 });
      await eventually(() => expect(runtime.counters.received).toBe(2));
      // The device moves away while its write still waits for Kafka: no PUBACK can be sent now.
      await coordinator.assign(first.replica, []);
      expect(runtime.counters.published).toBe(1);
      proxy.restore();
    } finally {
      await first.close();
    }

    const second = await startConnector({ CONNECTOR_OUTBOUND: 'false' });
    try {
      await coordinator.assign(second.replica, [spec]);
      const events = await assetEvents(
        (e) => e.tenant === tenant,
        (es) => es.some((e) => e.source.replica === second.replica),
      );
      // The broker redelivered the unacknowledged message to the new session owner.
      expect(
        events.filter((e) => e.source.replica === second.replica).map((e) => [e.value.value, e.sequence]),
      ).toEqual([[2, 2]]);
      expect(events.filter((e) => e.source.replica === first.replica).map((e) => e.sequence)).toContain(1);
    } finally {
      await second.close();
    }
  });
});

import { startTestMosquitto, type TestMosquitto } from '@openfoundry/infra-local/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assetEvents,
  type Connector,
  deviceOnline,
  deviceSpec,
  eventually,
  FakeCoordinator,
  startConnector,
  unique,
} from './harness.ts';

/**
 * An MQTT device that moves between replicas while its broker keeps receiving: the broker queues for
 * the persistent session (`openfoundry-<tenant>-<device>`) and the next replica receives the queue.
 * A private Mosquitto runs the platform's generated configuration: the shared one may still run an
 * older configuration (mosquitto's default queue of 1000 messages per session drops the rest after
 * acknowledging them to the publisher).
 */
describe('an MQTT device moving between replicas', () => {
  let broker: TestMosquitto;
  let coordinator: FakeCoordinator;
  let publisher: MqttClient;
  let first: Connector;
  let second: Connector;

  beforeAll(async () => {
    broker = await startTestMosquitto();
    coordinator = await FakeCoordinator.connect();
    publisher = await mqtt.connectAsync(broker.url, { clientId: unique('of-test-device') });
    [first, second] = await Promise.all([
      startConnector({ CONNECTOR_OUTBOUND: 'false' }),
      startConnector({ CONNECTOR_OUTBOUND: 'false' }),
    ]);
  });
  afterAll(async () => {
    await Promise.allSettled([first?.close(), second?.close()]);
    await publisher?.endAsync();
    await coordinator?.close();
    await broker?.stop();
  });

  const online = deviceOnline;

  /** Publishes sequences [from, to) with QoS 1; resolves once the broker acknowledged every one. */
  const publish = (topic: string, from: number, to: number) =>
    Promise.all(
      Array.from({ length: to - from }, (_, i) =>
        publisher.publishAsync(topic, JSON.stringify({ value: from + i, seq: from + i }), { qos: 1 }),
      ),
    );

  const mqttDevice = (tenant: string, root: string) =>
    deviceSpec({
      tenant,
      protocol: 'mqtt',
      endpoint: broker.url,
      points: [{ topic: `${root}/{asset}/{attribute}`, payload: 'json', kind: 'sample', writable: false }],
    });

  it('delivers every broker-acknowledged message exactly once when the device is stopped mid-stream and started elsewhere', async () => {
    const tenant = unique('t');
    const root = unique('of-test');
    const topic = `${root}/press-1/count`;
    const spec = mqttDevice(tenant, root);
    await coordinator.assign(first.replica, [spec]);
    const onFirst = await online(first, tenant, spec.id);

    // The first replica is still working through these when it is told to stop the device.
    await publish(topic, 0, 600);
    await eventually(() => expect(onFirst.counters.published).toBeGreaterThan(0));
    await coordinator.assign(first.replica, []);
    const publishedByFirst = onFirst.counters.published;
    // Offline: more than mosquitto's default queue of 1000 waits for the session.
    await publish(topic, 600, 2_100);
    await coordinator.assign(second.replica, [spec]);
    await online(second, tenant, spec.id);
    await publish(topic, 2_100, 2_600);

    const events = await assetEvents(
      (e) => e.tenant === tenant,
      (es) => new Set(es.map((e) => e.sequence)).size >= 2_600,
    );
    const sequences = events.map((e) => Number(e.sequence)).sort((a, b) => a - b);
    expect(new Set(sequences).size).toBe(2_600);
    // No repeats: the stopped replica acknowledged what it wrote before it disconnected.
    expect(sequences.length).toBe(2_600);
    expect(events.filter((e) => e.source.replica === first.replica).length).toBe(publishedByFirst);
    expect(publishedByFirst).toBeLessThan(2_600);
  }, 120_000);

  it('loses nothing when a second replica takes the session over while the first still runs the device', async () => {
    const tenant = unique('t');
    const root = unique('of-test');
    const topic = `${root}/press-1/count`;
    const spec = mqttDevice(tenant, root);
    await coordinator.assign(first.replica, [spec]);
    await online(first, tenant, spec.id);
    await publish(topic, 0, 300);
    // As when a coordinator moved the device away from a replica it wrongly thought dead: both run it,
    // and each connection takes the session from the other, until the first is told to stop.
    await coordinator.assign(second.replica, [spec]);
    await publish(topic, 300, 1_300);
    await coordinator.assign(first.replica, []);
    await online(second, tenant, spec.id);
    await publish(topic, 1_300, 1_500);

    const events = await assetEvents(
      (e) => e.tenant === tenant,
      (es) => new Set(es.map((e) => e.sequence)).size >= 1_500,
    );
    // At least once: a message whose PUBACK the first replica could not send any more (its connection
    // was taken over) is redelivered to the second one; none is missing.
    expect(new Set(events.map((e) => Number(e.sequence))).size).toBe(1_500);
    await coordinator.assign(second.replica, []);
  }, 120_000);
});

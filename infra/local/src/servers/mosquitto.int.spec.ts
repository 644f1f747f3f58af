import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMosquitto, type TestMosquitto } from './mosquitto-testing.ts';

/**
 * The generated configuration against a real broker: QoS 1 messages the broker acknowledged to their
 * publisher are all delivered to a persistent session, however many wait for it — while it is offline
 * or while it acknowledges slowly (mosquitto's default queue of 1000 drops the rest without a word).
 */
const MESSAGES = 2_500;

const session = (clientId: string): IClientOptions => ({
  clientId,
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: 3_600 },
  reconnectPeriod: 0,
});

async function publishAll(url: string, topic: string): Promise<void> {
  const publisher = await mqtt.connectAsync(url, { clientId: `pub-${process.pid}-${Date.now()}` });
  try {
    // Every publish resolves on the broker's PUBACK.
    await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) => publisher.publishAsync(topic, String(i), { qos: 1 })),
    );
  } finally {
    await publisher.endAsync();
  }
}

/** Collects payloads until `count` arrived or none came for three seconds (a dropped message never will). */
function collect(client: MqttClient, into: Set<string>, count: number): Promise<void> {
  return new Promise((resolve) => {
    let quiet = setTimeout(resolve, 10_000);
    client.on('message', (_topic, payload) => {
      into.add(payload.toString());
      clearTimeout(quiet);
      if (into.size >= count) resolve();
      else quiet = setTimeout(resolve, 3_000);
    });
  });
}

describe('mosquittoConfig on a real broker', () => {
  let broker: TestMosquitto;
  beforeAll(async () => {
    broker = await startTestMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it(`delivers all ${MESSAGES} QoS 1 messages published while a persistent session was offline`, async () => {
    const id = `offline-${process.pid}`;
    const topic = `test/${id}`;
    const first = await mqtt.connectAsync(broker.url, session(id));
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();

    await publishAll(broker.url, topic);

    const received = new Set<string>();
    const again = mqtt.connect(broker.url, session(id));
    try {
      await collect(again, received, MESSAGES);
      expect(received.size).toBe(MESSAGES);
      expect(received.has('0') && received.has(String(MESSAGES - 1))).toBe(true);
    } finally {
      await again.endAsync();
    }
  }, 60_000);

  it(`delivers all ${MESSAGES} QoS 1 messages to a connected session that holds its acknowledgements back`, async () => {
    const id = `slow-${process.pid}`;
    const topic = `test/${id}`;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Like a connector waiting for Kafka: no PUBACK until the gate opens.
    const slow = await mqtt.connectAsync(broker.url, {
      ...session(id),
      customHandleAcks: (_topic, _message, _packet, done) => {
        void released.then(() => done(0));
      },
    });
    try {
      await slow.subscribeAsync(topic, { qos: 1 });
      const received = new Set<string>();
      const all = collect(slow, received, MESSAGES);
      await publishAll(broker.url, topic);
      release();
      await all;
      expect(received.size).toBe(MESSAGES);
    } finally {
      await slow.endAsync();
    }
  }, 60_000);
});

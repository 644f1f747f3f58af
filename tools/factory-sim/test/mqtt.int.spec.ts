import { readPlatformEnv } from '@openfoundry/infra-local';
import { FaultProxy } from '@openfoundry/infra-local/testing';
import mqtt from 'mqtt';
import { describe, expect, it, vi } from 'vitest';
import { mqttPayload, mqttTopic } from '../src/protocols/mqtt.ts';
import { Simulator } from '../src/simulator.ts';
import { truthSummary } from '../src/truth.ts';
import { freePort, sequencesByPair, tempFile, truthEntries, uniqueTenant } from './helpers.ts';

const env = readPlatformEnv();

describe('MQTT against Mosquitto', () => {
  it('delivers every acked truth entry exactly once, on its topic with its payload', async () => {
    const tenant = uniqueTenant('mqtt');
    const truthFile = tempFile('truth.ndjson');
    const subscriber = await mqtt.connectAsync(env.OPENFOUNDRY_MQTT_URL);
    const received = new Map<string, string[]>();
    subscriber.on('message', (topic, payload) => {
      const text = payload.toString();
      const { seq } = JSON.parse(text) as { seq: number };
      const key = `${topic}#${seq}`;
      received.set(key, [...(received.get(key) ?? []), text]);
    });
    try {
      await subscriber.subscribeAsync(`factory/${tenant}/#`, { qos: 1 });
      const sim = new Simulator({
        tenant,
        assets: 4,
        attributes: 5,
        rate: 300,
        mqtt: { url: env.OPENFOUNDRY_MQTT_URL, maxInFlight: 20 },
        truthFile,
      });
      const summary = await sim.run({ durationMs: 1500 });
      const entries = await truthEntries(truthFile);
      const acked = entries.filter((e) => e.status === 'acked');

      expect(acked.length).toBeGreaterThan(0);
      expect(summary.protocols.mqtt).toMatchObject({
        sent: entries.length,
        acked: acked.length,
        inFlight: 0,
      });
      await vi.waitFor(() => expect(received.size).toBeGreaterThanOrEqual(acked.length), { timeout: 15_000 });
      for (const entry of acked) {
        const deliveries = received.get(`${mqttTopic(entry)}#${entry.seq}`);
        expect(deliveries, `${entry.asset}/${entry.attribute}#${entry.seq}`).toEqual([mqttPayload(entry)]);
      }
      // Nothing arrived that the truth log does not know of.
      const known = new Set(entries.map((e) => `${mqttTopic(e)}#${e.seq}`));
      expect([...received.keys()].filter((k) => !known.has(k))).toEqual([]);
      // Each pair's sequences are 0, 1, 2, … with no gap.
      for (const seqs of sequencesByPair(entries).values()) {
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i));
      }
      // The run's per-asset figures are the truth log's.
      expect(await truthSummary(truthFile)).toEqual(summary.assets.map(({ protocol: _, ...a }) => a));
      expect(summary.assets.map((a) => a.asset)).toEqual([
        'asset-0001',
        'asset-0002',
        'asset-0003',
        'asset-0004',
      ]);
    } finally {
      await subscriber.endAsync();
    }
  });

  it('runs again with the same seed to the same values per sequence', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const truthFile = tempFile('truth.ndjson');
      const sim = new Simulator({
        tenant: uniqueTenant('seed'),
        assets: 2,
        attributes: 4,
        rate: 200,
        seed: 77,
        mqtt: { url: env.OPENFOUNDRY_MQTT_URL },
        truthFile,
      });
      await sim.run({ durationMs: 500 });
      const values = new Map(
        (await truthEntries(truthFile)).map((e) => [`${e.asset}/${e.attribute}#${e.seq}`, e.value]),
      );
      runs.push(values);
    }
    const [first, second] = runs as [Map<string, unknown>, Map<string, unknown>];
    const common = [...first.keys()].filter((k) => second.has(k));
    expect(common.length).toBeGreaterThan(0);
    for (const key of common) expect(second.get(key), key).toEqual(first.get(key));
  });
});

describe('MQTT when the broker link drops', () => {
  it('reconnects, resends what was not acked, and still delivers every acked entry', async () => {
    const target = new URL(env.OPENFOUNDRY_MQTT_URL);
    const proxy = new FaultProxy({ listenPort: await freePort(), targetPort: Number(target.port) });
    await proxy.start();
    const tenant = uniqueTenant('mqttcut');
    const truthFile = tempFile('truth.ndjson');
    const subscriber = await mqtt.connectAsync(env.OPENFOUNDRY_MQTT_URL);
    const received = new Set<string>();
    subscriber.on('message', (topic, payload) =>
      received.add(`${topic}#${(JSON.parse(payload.toString()) as { seq: number }).seq}`),
    );
    const log: string[] = [];
    try {
      await subscriber.subscribeAsync(`factory/${tenant}/#`, { qos: 1 });
      const sim = new Simulator({
        tenant,
        assets: 2,
        attributes: 3,
        rate: 200,
        mqtt: { url: `mqtt://127.0.0.1:${proxy.listenPort}`, maxInFlight: 10 },
        truthFile,
        log: (m) => log.push(m),
      });
      await sim.start();
      const stats = () => sim.driver('mqtt')?.stats();
      await vi.waitFor(() => expect(stats()?.acked).toBeGreaterThan(20));
      proxy.cut();
      await vi.waitFor(() => expect(log.some((m) => m.includes('reconnecting'))).toBe(true));
      const ackedAtCut = stats()?.acked ?? 0;
      proxy.restore();
      await vi.waitFor(() => expect(stats()?.acked).toBeGreaterThan(ackedAtCut + 20), { timeout: 15_000 });
      const summary = await sim.stop();

      expect(proxy.severed).toBeGreaterThan(0);
      expect(summary.protocols.mqtt).toMatchObject({ unacked: 0, inFlight: 0 });
      expect(summary.protocols.mqtt?.acked).toBe(summary.protocols.mqtt?.sent);
      const acked = (await truthEntries(truthFile)).filter((e) => e.status === 'acked');
      await vi.waitFor(() => expect(received.size).toBeGreaterThanOrEqual(acked.length), { timeout: 15_000 });
      for (const e of acked)
        expect(received.has(`${mqttTopic(e)}#${e.seq}`), `${e.asset}/${e.attribute}#${e.seq}`).toBe(true);
    } finally {
      await subscriber.endAsync();
      await proxy.stop();
    }
  });
});

import { createServer, type Server } from 'node:http';
import type { AssetEvent } from '@openfoundry/bus-registry';
import { readPlatformEnv } from '@openfoundry/infra-local';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Connector,
  deviceSpec,
  eventually,
  FakeCoordinator,
  INGEST_TOKENS,
  startConnector,
  unique,
} from './harness.ts';

const broker = readPlatformEnv().OPENFOUNDRY_MQTT_URL;

describe('outbound rules', () => {
  let connector: Connector;
  let coordinator: FakeCoordinator;
  let listener: MqttClient;
  let webhook: Server;
  let webhookUrl: string;
  const hooked: AssetEvent[] = [];
  const published: { topic: string; event: AssetEvent }[] = [];

  beforeAll(async () => {
    webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        hooked.push(JSON.parse(body) as AssetEvent);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as { port: number }).port}/hook`;
    listener = await mqtt.connectAsync(broker, { clientId: unique('of-test-listener') });
    listener.on('message', (topic, payload) =>
      published.push({ topic, event: JSON.parse(payload.toString()) as AssetEvent }),
    );
    connector = await startConnector();
    coordinator = await FakeCoordinator.connect();
  });
  afterAll(async () => {
    await listener?.endAsync();
    await coordinator?.close();
    await connector?.close();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  it('sends matching asset events to an MQTT topic and a webhook, and nothing else', async () => {
    const tenant = 'acme';
    const asset = unique('mixer');
    const outTopic = `${unique('of-test')}/out`;
    await listener.subscribeAsync(outTopic, { qos: 1 });
    const source = deviceSpec({ tenant, protocol: 'http' });
    const socket = deviceSpec({
      tenant,
      protocol: 'mqtt',
      endpoint: broker,
      outbound: [
        { asset, attribute: 'speed', mqttTopic: outTopic },
        { asset, webhookUrl },
      ],
    });
    const status = async () =>
      (await (await fetch(`${connector.url}/v1/status`)).json()) as {
        outbound: { reading: boolean; sent: number };
      };
    // Without outbound rules the replica does not read the asset stream at all.
    expect((await coordinator.assign(connector.replica, [source])).rejected).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await status()).outbound.reading).toBe(false);
    const reply = await coordinator.assign(connector.replica, [source, socket]);
    expect(reply.rejected).toEqual([]);
    await eventually(async () => {
      if (!(await status()).outbound.reading) throw new Error('not reading yet');
    }, 30_000);

    const push = (items: object[]) =>
      fetch(`${connector.url}/v1/ingest/${tenant}/${source.id}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INGEST_TOKENS.acme}`, 'content-type': 'application/json' },
        body: JSON.stringify(items),
      });
    // The outbound group starts at the end of the stream the first time it joins: push until it is reading.
    let round = 0;
    await eventually(async () => {
      round += 1;
      expect((await push([{ asset, attribute: 'speed', value: round }])).status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (!hooked.some((e) => e.assetId === asset))
        throw new Error('the outbound consumer is not reading yet');
    }, 90_000);

    expect(
      (
        await push([
          { asset, attribute: 'speed', value: 1000 },
          { asset, attribute: 'torque', value: 5 },
          { asset: unique('other'), attribute: 'speed', value: 7 },
        ])
      ).status,
    ).toBe(202);
    await eventually(() => {
      if (!hooked.some((e) => e.attribute === 'torque')) throw new Error('not yet');
      if (!published.some((p) => p.event.value.value === 1000)) throw new Error('not yet');
    }, 60_000);
    // The webhook rule takes every attribute of the asset, the MQTT rule only `speed`; other assets go nowhere.
    expect(hooked.every((e) => e.assetId === asset && e.tenant === tenant)).toBe(true);
    expect(hooked.filter((e) => e.attribute === 'torque').map((e) => e.value)).toEqual([
      { type: 'double', value: 5 },
    ]);
    expect(
      published.every(
        (p) => p.topic === outTopic && p.event.assetId === asset && p.event.attribute === 'speed',
      ),
    ).toBe(true);
    // Every delivery the replica counts reached the webhook or the MQTT listener.
    await eventually(async () => {
      expect((await status()).outbound.sent).toBe(hooked.length + published.length);
    }, 10_000);

    // The rules go away with their device: the replica stops reading, nothing more is sent.
    expect((await coordinator.assign(connector.replica, [source])).rejected).toEqual([]);
    await eventually(async () => {
      if ((await status()).outbound.reading) throw new Error('still reading');
    }, 30_000);
    const sentBefore = hooked.length;
    expect((await push([{ asset, attribute: 'speed', value: 2000 }])).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(hooked.length).toBe(sentBefore);
  });
});

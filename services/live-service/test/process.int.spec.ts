import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AssetEvent } from '@openfoundry/bus-registry';
import { watchSubject } from '@openfoundry/bus-registry/testing';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busEnv, connectorPublisher } from './bus-env.ts';
import { assetEvent, tenantId } from './factories.ts';
import { openSse, until } from './live-client.ts';

// Two live-service processes as an operator runs them, sharing the forwarder group: the partitions
// split between them, and when one is killed the other takes its partitions over.
const entry = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const tenant = tenantId('live-proc');
const TOKEN = `tok-${tenant}`;
const ASSETS = Array.from({ length: 12 }, (_, i) => `cell-${i}`);

interface Instance {
  run: ServiceProcess;
  url: string;
}
interface ForwarderStatusBody {
  instance: { id: string; batches: number };
  partitions: { partition: number; instance: string }[];
}

const status = async (instance: Instance) =>
  (await (await fetch(`${instance.url}/v1/forwarders`)).json()) as ForwarderStatusBody;

const round = (from: number, perAsset: number) => {
  const events: AssetEvent[] = [];
  for (let sequence = from; sequence < from + perAsset; sequence++)
    for (const assetId of ASSETS) events.push(assetEvent({ tenant, assetId, attribute: 'load', sequence }));
  return events;
};

describe('live-service processes sharing the forwarder group', () => {
  let database: TestDatabase;
  const instances: Instance[] = [];
  let connector: Awaited<ReturnType<typeof connectorPublisher>>;

  async function start(): Promise<Instance> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = startServiceProcess(entry, {
      DATABASE_URL: database.url,
      PORT: String(port),
      LIVE_TOKENS: `${TOKEN}=${tenant}`,
      LIVE_PROGRESS_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
      ...(await busEnv()),
    });
    await waitForReady(url, run, 60_000);
    const instance = { run, url };
    instances.push(instance);
    return instance;
  }

  beforeAll(async () => {
    expect(existsSync(entry), `${entry} is missing: build the service first`).toBe(true);
    database = await createTestDatabase('of_live_proc');
    connector = await connectorPublisher();
  });
  afterAll(async () => {
    for (const { run } of instances) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.run.exited));
    await connector?.close();
    await database?.drop();
  });

  it('splits partitions between two instances, each event forwarded by one, and survives a SIGKILL', {
    timeout: 180_000,
  }, async () => {
    const first = await start();
    const second = await start();
    const nats = await watchSubject(`live.${tenant}.>`);
    try {
      // Both members own partitions once each has forwarded a batch after the group settled.
      let probe = 0;
      const settled = async () => {
        const [a, b] = await Promise.all([status(first), status(second)]);
        return a.instance.batches > 0 && b.instance.batches > 0;
      };
      const deadline = Date.now() + 90_000;
      while (!(await settled())) {
        expect(Date.now() < deadline, 'both instances forward').toBe(true);
        await connector.publish(round(100_000 + probe++, 1));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      nats.messages.length = 0;

      const before = round(0, 20);
      await connector.publish(before);
      const ids = (events: readonly AssetEvent[]) => new Set(events.map((e) => e.eventId));
      const wanted = ids(before);
      const arrived = () =>
        nats.messages.map((m) => m.value as AssetEvent).filter((e) => wanted.has(e.eventId));
      await until(() => arrived().length >= before.length, 'the first round', 60_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(arrived().length, 'each event forwarded by exactly one instance').toBe(before.length);
      const rows = (await status(first)).partitions;
      const [a, b] = await Promise.all([status(first), status(second)]);
      expect(new Set(rows.map((r) => r.instance))).toEqual(new Set([a.instance.id, b.instance.id]));

      // SIGKILL: no goodbye to the group; the survivor gets the partitions after the session times out.
      first.run.child.kill('SIGKILL');
      await first.run.exited;
      const after = round(20, 20);
      await connector.publish(after);
      const all = [...before, ...after];
      const everything = ids(all);
      const seen = () =>
        ids(nats.messages.map((m) => m.value as AssetEvent).filter((e) => everything.has(e.eventId)));
      await until(() => seen().size === all.length, 'every event after the takeover', 120_000);
      // At-least-once: a batch in flight at the kill may come again, but per asset the first arrivals
      // keep stream order.
      const firstArrivals = new Map<string, number[]>();
      const counted = new Set<string>();
      for (const m of nats.messages) {
        const e = m.value as AssetEvent;
        if (!everything.has(e.eventId) || counted.has(e.eventId)) continue;
        counted.add(e.eventId);
        firstArrivals.set(e.assetId, [...(firstArrivals.get(e.assetId) ?? []), e.sequence ?? -1]);
      }
      for (const asset of ASSETS)
        expect(firstArrivals.get(asset), asset).toEqual(Array.from({ length: 40 }, (_, i) => i));
    } finally {
      await nats.stop();
    }

    // SIGTERM: live clients are told why, and the process exits cleanly.
    const sse = await openSse(`${second.url}/v1/tenants/${tenant}/live?access_token=${TOKEN}`);
    expect(sse.status).toBe(200);
    await until(() => sse.messages.length > 0, 'subscribed');
    second.run.child.kill('SIGTERM');
    await sse.ended;
    expect(sse.messages.at(-1)).toEqual({ event: 'shutdown', data: { reason: 'server shutting down' } });
    expect(await second.run.exited, second.run.output()).toBe(0);
  });
});

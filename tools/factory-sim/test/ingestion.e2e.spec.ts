import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { FlightSqlClient } from '@openfoundry/query-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Checksum,
  deviceSpecs,
  httpDeviceId,
  type SimSummary,
  Simulator,
  truthLastValues,
  truthSummary,
  type Value,
} from '../src/index.ts';
import { freePort, until } from './helpers.ts';

/**
 * The whole ingestion plane on the running platform (`npm test` starts it): the simulator speaks
 * MQTT, OPC UA and HTTP push to the connectors declared through connector-management-service; the
 * asset stream feeds streaming state, live subscriptions and the Iceberg sink; each is compared with
 * the simulator's ground truth — counts and checksums per asset.
 */
const TENANT = 'acme';
const TOKEN = 'dev-acme-token';
const run = `e2e${Date.now().toString(36)}`;
const env = readPlatformEnv();

function unitUrl(service: string): string {
  const name = `OPENFOUNDRY_E2E_${service.toUpperCase().replaceAll('-', '_')}_URL`;
  const url = process.env[name];
  if (!url) throw new Error(`${name} is not set: run this through npm test, which starts the platform`);
  return url;
}

async function api<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Reads a server-sent event stream, calling `onEvent` for each `asset-event`. */
function follow(url: string, onEvent: (event: { eventId: string; assetId: string }) => void) {
  const controller = new AbortController();
  const ready = (async () => {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: controller.signal,
    });
    if (!response.ok || !response.body) throw new Error(`live subscription: ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let subscribed: () => void = () => {};
    const isSubscribed = new Promise<void>((resolve) => {
      subscribed = resolve;
    });
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (type === 'subscribed') subscribed();
            if (type === 'asset-event' && data) onEvent(JSON.parse(data));
          }
        }
      } catch {
        // aborted at the end of the test
      }
    })();
    await isSubscribed;
  })();
  return { ready, close: () => controller.abort() };
}

/** JSON value of an Iceberg row as the simulator sent it. */
function rowValue(row: Record<string, unknown>): Value {
  switch (row.value_type) {
    case 'double':
      return row.value_double as number;
    case 'long':
      return Number(row.value_long as bigint);
    case 'boolean':
      return row.value_bool as boolean;
    default:
      return row.value_string as string;
  }
}

let dir: string;
let sim: Simulator;
let summary: SimSummary;
let truthFile: string;
const live = new Map<string, Set<string>>();
let liveAsset: string;
let subscription: { close(): void } | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'openfoundry-ingestion-e2e-'));
  truthFile = join(dir, 'truth.ndjson');
  const opcuaPort = await freePort();
  sim = new Simulator({
    tenant: TENANT,
    assets: 9,
    attributes: 4,
    assetPrefix: `${run}-`,
    rate: 600,
    mqtt: { url: env.OPENFOUNDRY_MQTT_URL },
    opcua: { port: opcuaPort },
    http: { url: unitUrl('connector-service'), token: TOKEN, device: httpDeviceId(run) },
    truthFile,
  });
  const specs = deviceSpecs(sim.layout, {
    devicePrefix: run,
    mqtt: { url: env.OPENFOUNDRY_MQTT_URL },
    opcua: { port: opcuaPort },
  });
  // Declared as an operator would (the CLI sends the same requests).
  const management = unitUrl('connector-management-service');
  for (const spec of specs) {
    await api(`${management}/v1/tenants/${TENANT}/devices/${spec.id}`, {
      method: 'PUT',
      body: JSON.stringify(spec),
    });
  }
  liveAsset = sim.layout.assets.find((a) => a.protocol === 'mqtt')?.id as string;
  subscription = follow(
    `${unitUrl('live-service')}/v1/tenants/${TENANT}/live?asset=${liveAsset}`,
    (event) => {
      const seen = live.get(event.assetId) ?? new Set<string>();
      seen.add(event.eventId);
      live.set(event.assetId, seen);
    },
  );
  await (subscription as ReturnType<typeof follow>).ready;
  const online = (id: string) =>
    until(`device ${id} online`, async () => {
      const device = await api<{ status?: string }>(`${management}/v1/tenants/${TENANT}/devices/${id}`);
      return device.status === 'online' ? true : undefined;
    });
  // The live subscriber follows before anything is produced, and the MQTT devices are subscribed
  // to the broker: a message published before that would be acknowledged by the broker but reach
  // no connector. The OPC UA device can only connect once the simulator's server is up.
  for (const spec of specs) if (spec.protocol !== 'opcua') await online(spec.id);
  await sim.start();
  for (const spec of specs) if (spec.protocol === 'opcua') await online(spec.id);
  await new Promise((r) => setTimeout(r, 8_000));
  // Production stops but the OPC UA server stays up until its last values have been sampled.
  await sim.stopProducing();
  await new Promise((r) => setTimeout(r, 3_000));
  summary = await sim.stop();
}, 240_000);

afterAll(async () => {
  subscription?.close();
  await sim?.stop().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ingestion plane end to end (simulator → connectors → asset stream → state, live, Iceberg)', () => {
  it('had every generated MQTT and HTTP event acknowledged by the connectors', () => {
    for (const protocol of ['mqtt', 'http'] as const) {
      const stats = summary.protocols[protocol];
      expect(stats?.acked).toBeGreaterThan(0);
      expect({ protocol, unacked: stats?.unacked, rejected: stats?.rejected }).toEqual({
        protocol,
        unacked: 0,
        rejected: 0,
      });
    }
  });

  it('counts every acked event of every MQTT/HTTP asset once in the 1-hour windows of streaming state', async () => {
    const truth = [
      ...(await truthSummary(truthFile, { protocol: 'mqtt' })),
      ...(await truthSummary(truthFile, { protocol: 'http' })),
    ];
    const streaming = unitUrl('streaming-service');
    for (const asset of truth) {
      const counted = await until(`streaming counts of ${asset.asset}`, async () => {
        const page = await api<{ items: { count: number }[] }>(
          `${streaming}/v1/tenants/${TENANT}/assets/${asset.asset}/aggregates?window=1h&limit=1000`,
        );
        const total = page.items.reduce((n, w) => n + w.count, 0);
        return total >= asset.count ? total : undefined;
      });
      expect({ asset: asset.asset, count: counted }).toEqual({ asset: asset.asset, count: asset.count });
    }
  }, 150_000);

  it('holds the last value of every OPC UA variable in streaming state', async () => {
    const last = await truthLastValues(truthFile, { protocol: 'opcua' });
    expect(last.size).toBeGreaterThan(0);
    const streaming = unitUrl('streaming-service');
    const assets = new Set([...last.values()].map((e) => e.asset));
    for (const asset of assets) {
      const expected = [...last.values()]
        .filter((e) => e.asset === asset)
        .map((e) => ({ attribute: e.attribute, value: e.value }))
        .sort((a, b) => a.attribute.localeCompare(b.attribute));
      const state = await until(`state of ${asset}`, async () => {
        const body = await api<{ attributes: { attribute: string; value: { value: Value } }[] }>(
          `${streaming}/v1/tenants/${TENANT}/assets/${asset}/state`,
        );
        const got = body.attributes
          .filter((a) => expected.some((e) => e.attribute === a.attribute))
          .map((a) => ({ attribute: a.attribute, value: a.value.value }))
          .sort((a, b) => a.attribute.localeCompare(b.attribute));
        return JSON.stringify(got) === JSON.stringify(expected) ? got : undefined;
      });
      expect(state).toEqual(expected);
    }
  }, 150_000);

  it('delivered every event of the followed asset to the live subscriber', async () => {
    const truth = (await truthSummary(truthFile, { protocol: 'mqtt' })).find((a) => a.asset === liveAsset);
    await until('live events', async () =>
      (live.get(liveAsset)?.size ?? 0) >= (truth?.count ?? 0) ? true : undefined,
    );
    expect(live.get(liveAsset)?.size).toBe(truth?.count);
  }, 150_000);

  it('lands every event once in the tenant Iceberg table, read through the Flight SQL edge', async () => {
    const truth = [
      ...(await truthSummary(truthFile, { protocol: 'mqtt' })),
      ...(await truthSummary(truthFile, { protocol: 'http' })),
    ];
    const expectedTotal = truth.reduce((n, a) => n + a.count, 0);
    const client = await FlightSqlClient.connect({
      address: `127.0.0.1:${process.env.OPENFOUNDRY_E2E_FLIGHT_SQL_PORT ?? '50133'}`,
      user: 'openfoundry',
      password: 'openfoundry',
    });
    const table = `lakehouse."${TENANT}.telemetry".asset_events`;
    const filter = `asset_id LIKE '${run}-%' AND kind = 'sample' AND source_protocol IN ('mqtt', 'http')`;
    await until(
      'the sink to commit every event',
      async () => {
        const counted = await client.query(`SELECT count(*)::BIGINT AS n FROM ${table} WHERE ${filter}`);
        return Number(counted.get(0)?.toJSON().n) >= expectedTotal ? true : undefined;
      },
      120_000,
    );
    const rows = await client.query(
      `SELECT asset_id, attribute, sequence, value_type, value_double, value_long, value_bool, value_string
       FROM ${table} WHERE ${filter}`,
    );
    const sums = new Map<string, Checksum>();
    for (const row of rows.toArray().map((r) => r.toJSON() as Record<string, unknown>)) {
      const asset = row.asset_id as string;
      const sum = sums.get(asset) ?? new Checksum();
      sum.add({
        asset,
        attribute: row.attribute as string,
        seq: Number(row.sequence),
        value: rowValue(row),
      });
      sums.set(asset, sum);
    }
    const got = truth.map((a) => ({
      asset: a.asset,
      count: sums.get(a.asset)?.count ?? 0,
      checksum: sums.get(a.asset)?.value,
    }));
    expect(got).toEqual(truth.map((a) => ({ asset: a.asset, count: a.count, checksum: a.checksum })));
  }, 150_000);
});

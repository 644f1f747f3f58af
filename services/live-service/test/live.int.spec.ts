import type { AssetEvent } from '@openfoundry/bus-registry';
import { watchSubject } from '@openfoundry/bus-registry/testing';
import {
  createTestApp,
  createTestDatabase,
  type TestApp,
  type TestDatabase,
} from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { liveConfigSchema } from '../src/config.ts';
import { liveService } from '../src/service.ts';
import { busEnv, connectorPublisher } from './bus-env.ts';
import { assetEvent, tenantId } from './factories.ts';
import { openSse, openWs, until } from './live-client.ts';

// One live-service in this process against the real Kafka, NATS and Postgres; events enter the
// asset stream as the connector-service principal writes them, and leave through SSE, WebSocket and
// (checked with the platform admin's NATS user) the live subjects themselves.

const tenantA = tenantId('live-a');
const tenantB = tenantId('live-b');
const TOKEN_A = `tok-${tenantA}`;
const TOKEN_B = `tok-${tenantB}`;

/** Events per asset, interleaved across assets the way a plant produces them. */
function interleaved(
  tenant: string,
  assets: string[],
  perAsset: number,
  attribute = 'temperature',
): AssetEvent[] {
  const events: AssetEvent[] = [];
  for (let sequence = 0; sequence < perAsset; sequence++)
    for (const asset of assets) events.push(assetEvent({ tenant, assetId: asset, attribute, sequence }));
  return events;
}

/** Every asset's events arrived once each, in the order they were written. */
function expectInOrderOnce(received: readonly AssetEvent[], sent: readonly AssetEvent[]) {
  const ids = received.map((e) => e.eventId);
  expect(new Set(ids).size, 'duplicates').toBe(ids.length);
  const byAsset = (events: readonly AssetEvent[]) => {
    const map = new Map<string, string[]>();
    for (const e of events) map.set(e.assetId, [...(map.get(e.assetId) ?? []), e.eventId]);
    return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
  };
  expect(byAsset(received)).toEqual(byAsset(sent));
}

describe('live-service against the real buses', () => {
  let database: TestDatabase;
  let app: TestApp<typeof liveConfigSchema>;
  let base: string;
  let ws: string;
  let connector: Awaited<ReturnType<typeof connectorPublisher>>;

  beforeAll(async () => {
    database = await createTestDatabase('of_live');
    app = await createTestApp(liveService, {
      env: {
        DATABASE_URL: database.url,
        ...(await busEnv()),
        LIVE_TOKENS: `${TOKEN_A}=${tenantA},${TOKEN_B}=${tenantB}`,
        LIVE_QUEUE_LIMIT: '5',
        LIVE_PROGRESS_INTERVAL_MS: '100',
        LIVE_MAX_FILTERS_PER_CONNECTION: '3',
      },
    });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${port}/v1/tenants`;
    ws = `ws://127.0.0.1:${port}/v1/tenants`;
    connector = await connectorPublisher();
    await warmUp(base);
  }, 120_000);

  /**
   * A new forwarder group starts at the latest offsets once Kafka assigned it partitions: until a
   * probe comes through, events written now might predate its start.
   */
  async function warmUp(url: string): Promise<void> {
    const sse = await openSse(`${url}/${tenantA}/live?asset=probe`, { authorization: `Bearer ${TOKEN_A}` });
    try {
      const deadline = Date.now() + 60_000;
      while (sse.events().length === 0 && Date.now() < deadline) {
        await connector.publish([assetEvent({ tenant: tenantA, assetId: 'probe' })]);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      expect(sse.events().length, 'the forwarder never forwarded a probe').toBeGreaterThan(0);
    } finally {
      sse.close();
    }
  }

  afterAll(async () => {
    await connector?.close();
    await app?.close();
    await database?.drop();
  });

  it('forwards every event to live.<tenant>.<asset>.<attribute>, in order per asset, once each', {
    timeout: 60_000,
  }, async () => {
    const nats = await watchSubject(`live.${tenantA}.>`);
    const sse = await openSse(`${base}/${tenantA}/live`, { authorization: `Bearer ${TOKEN_A}` });
    try {
      expect(sse.status).toBe(200);
      expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
      await until(() => sse.messages.length > 0, 'subscribed');
      expect(sse.messages[0]).toEqual({
        event: 'subscribed',
        data: { filters: [{ asset: '*', attribute: '*' }] },
      });
      const sent = interleaved(tenantA, ['press-1', 'press-2', 'oven-1', 'oven-2', 'robot-1', 'robot-2'], 25);
      await connector.publish(sent);
      await until(
        () => sse.events().length >= sent.length && nats.messages.length >= sent.length,
        'all events',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expectInOrderOnce(sse.events(), sent);
      expectInOrderOnce(
        nats.messages.map((m) => m.value as AssetEvent),
        sent,
      );
      for (const m of nats.messages) {
        const e = m.value as AssetEvent;
        expect(m.subject).toBe(`live.${tenantA}.${e.assetId}.${e.attribute}`);
        // A plain message: the event id is the payload's own (ADR 0025).
        expect(m.headers).toEqual({});
        expect(e.eventId).toMatch(/^[0-9a-f-]{36}$/);
      }
      // Progress reaches Postgres within an interval and GET /v1/forwarders shows it.
      let status:
        | {
            instance: { running: boolean; records: number };
            partitions: { eventsForwarded: string; nextOffset: string; lag: string | null }[];
          }
        | undefined;
      await until(() => {
        void app.inject('/v1/forwarders').then((r) => {
          status = r.json();
        });
        return (status?.partitions.reduce((n, p) => n + Number(p.eventsForwarded), 0) ?? 0) >= sent.length;
      }, 'progress rows');
      expect(status?.instance.running).toBe(true);
      // With a consumer running here, every partition row says how far it is behind the stream's end.
      for (const p of status?.partitions ?? []) expect(p.lag).toMatch(/^\d+$/);
    } finally {
      sse.close();
      await nats.stop();
    }
  });

  it('filters by asset and attribute and never crosses tenants', async () => {
    const sse = await openSse(
      `${base}/${tenantA}/live?filter=mixer-1.speed,*.pressure&access_token=${TOKEN_A}`,
    );
    try {
      expect(sse.status).toBe(200);
      await until(() => sse.messages.length > 0, 'subscribed');
      const wanted = [
        assetEvent({ tenant: tenantA, assetId: 'mixer-1', attribute: 'speed', sequence: 1 }),
        assetEvent({ tenant: tenantA, assetId: 'mixer-2', attribute: 'pressure', sequence: 2 }),
        assetEvent({ tenant: tenantA, assetId: 'mixer-1', attribute: 'pressure', sequence: 3 }),
      ];
      const unwanted = [
        assetEvent({ tenant: tenantA, assetId: 'mixer-2', attribute: 'speed' }),
        assetEvent({ tenant: tenantB, assetId: 'mixer-1', attribute: 'speed' }),
        assetEvent({ tenant: tenantB, assetId: 'mixer-1', attribute: 'pressure' }),
      ];
      const last = assetEvent({ tenant: tenantA, assetId: 'mixer-1', attribute: 'speed', sequence: 4 });
      await connector.publish([...unwanted, ...wanted, last]);
      await until(() => sse.events().length >= 4, 'the wanted events');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Each filter is its own NATS subscription: order holds per subject (asset and attribute),
      // not across the two filters that both match mixer-1.
      const bySubject = (events: readonly AssetEvent[]) => {
        const map = new Map<string, string[]>();
        for (const e of events)
          map.set(`${e.assetId}.${e.attribute}`, [
            ...(map.get(`${e.assetId}.${e.attribute}`) ?? []),
            e.eventId,
          ]);
        return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
      };
      const ids = sse.events().map((e) => e.eventId);
      expect(new Set(ids).size, 'duplicates').toBe(ids.length);
      expect(bySubject(sse.events())).toEqual(bySubject([...wanted, last]));
    } finally {
      sse.close();
    }
  });

  it('refuses SSE without a known token (401), for another tenant (403) and with bad filters (400)', async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      [`${base}/${tenantA}/live`, {}, 401, 'LIVE_UNAUTHENTICATED'],
      [`${base}/${tenantA}/live`, { authorization: 'Bearer wrong' }, 401, 'LIVE_UNAUTHENTICATED'],
      [`${base}/${tenantA}/live?access_token=wrong`, {}, 401, 'LIVE_UNAUTHENTICATED'],
      [`${base}/${tenantB}/live`, { authorization: `Bearer ${TOKEN_A}` }, 403, 'LIVE_FORBIDDEN_TENANT'],
      [
        `${base}/${tenantA}/live?asset=a.b`,
        { authorization: `Bearer ${TOKEN_A}` },
        400,
        'LIVE_INVALID_FILTER',
      ],
      [
        `${base}/${tenantA}/live?attribute=%3E`,
        { authorization: `Bearer ${TOKEN_A}` },
        400,
        'LIVE_INVALID_FILTER',
      ],
      [
        `${base}/${tenantA}/live?filter=a.b.c`,
        { authorization: `Bearer ${TOKEN_A}` },
        400,
        'LIVE_INVALID_FILTER',
      ],
      [
        `${base}/${tenantA}/live?filter=a.*,b.*,c.*,d.*`,
        { authorization: `Bearer ${TOKEN_A}` },
        400,
        'LIVE_TOO_MANY_FILTERS',
      ],
    ];
    for (const [url, headers, status, code] of cases) {
      const response = await openSse(url, headers);
      expect(response.status, url).toBe(status);
      expect(response.body, url).toMatchObject({ error: { code, requestId: expect.any(String) } });
    }
    const plain = await app.inject({
      url: `/v1/tenants/${tenantA}/live/ws`,
      headers: { authorization: `Bearer ${TOKEN_A}` },
    });
    expect(plain.statusCode).toBe(426);
  });

  it('streams subscribed events over a WebSocket and answers bad commands with error messages', async () => {
    const client = await openWs(`${ws}/${tenantA}/live/ws?access_token=${TOKEN_A}`);
    try {
      await until(() => client.messages.length > 0, 'greeting');
      expect(client.messages[0]).toEqual({ type: 'subscribed', filters: [] });
      client.send({ subscribe: [{ asset: 'lathe-1', attribute: '*' }] });
      client.send({ subscribe: [{ asset: 'lathe 1' }] });
      client.send({ subscribe: [{ asset: 'x', tenant: tenantB }] });
      client.send('not json');
      await until(() => client.messages.length >= 5, 'answers');
      expect(client.messages.slice(1)).toEqual([
        { type: 'subscribed', filters: [{ asset: 'lathe-1', attribute: '*' }] },
        expect.objectContaining({ type: 'error', code: 'LIVE_INVALID_FILTER' }),
        expect.objectContaining({ type: 'error', code: 'LIVE_INVALID_FILTER' }),
        expect.objectContaining({ type: 'error', code: 'LIVE_INVALID_MESSAGE' }),
      ]);
      const sent = [
        assetEvent({ tenant: tenantA, assetId: 'lathe-1', attribute: 'rpm', sequence: 1 }),
        assetEvent({ tenant: tenantA, assetId: 'lathe-2', attribute: 'rpm', sequence: 2 }),
        assetEvent({ tenant: tenantB, assetId: 'lathe-1', attribute: 'rpm', sequence: 3 }),
        assetEvent({ tenant: tenantA, assetId: 'lathe-1', attribute: 'feed', sequence: 4 }),
      ];
      await connector.publish(sent);
      await until(() => client.events().some((e) => e.sequence === 4), 'lathe-1 events');
      expect(client.events().map((e) => e.sequence)).toEqual([1, 4]);

      client.send({ unsubscribe: [{ asset: 'lathe-1', attribute: '*' }] });
      await until(() => client.messages.some((m) => m.type === 'unsubscribed'), 'unsubscribed');
    } finally {
      client.socket.close();
    }
  });

  it('refuses WebSocket upgrades without a token (401), for another tenant (403) and with bad filters (400)', async () => {
    const refused = async (url: string) => {
      try {
        const client = await openWs(url);
        client.socket.close();
        return undefined;
      } catch (error) {
        return error as { status: number; body: { error: { code: string } } };
      }
    };
    expect(await refused(`${ws}/${tenantA}/live/ws`)).toMatchObject({ status: 401 });
    expect(await refused(`${ws}/${tenantB}/live/ws?access_token=${TOKEN_A}`)).toMatchObject({
      status: 403,
      body: { error: { code: 'LIVE_FORBIDDEN_TENANT' } },
    });
    expect(await refused(`${ws}/${tenantA}/live/ws?access_token=${TOKEN_A}&asset=a%2Fb`)).toMatchObject({
      status: 400,
      body: { error: { code: 'LIVE_INVALID_FILTER' } },
    });
  });

  it('drops events for a client that stopped reading and tells it how many with a gap', async () => {
    const sse = await openSse(`${base}/${tenantB}/live?asset=bulk-1`, { authorization: `Bearer ${TOKEN_B}` });
    try {
      await until(() => sse.messages.length > 0, 'subscribed');
      sse.response.pause();
      // Large events fill the socket buffers quickly; the queue holds 5 more, the rest are dropped.
      const payload = 'x'.repeat(4096);
      const sent = Array.from({ length: 2000 }, (_, sequence) =>
        assetEvent({
          tenant: tenantB,
          assetId: 'bulk-1',
          attribute: 'blob',
          sequence,
          value: { type: 'string', value: payload },
        }),
      );
      const watch = await watchSubject(`live.${tenantB}.bulk-1.>`);
      await connector.publish(sent);
      await until(() => watch.messages.length >= sent.length, 'forwarded to NATS', 60_000);
      await watch.stop();
      sse.response.resume();
      const accounted = () =>
        sse.events().length +
        sse.messages
          .filter((m) => m.event === 'gap')
          .reduce((n, m) => n + (m.data as { dropped: number }).dropped, 0);
      await until(() => accounted() >= sent.length, 'every event delivered or counted as dropped', 60_000);
      const gaps = sse.messages.filter((m) => m.event === 'gap');
      expect(gaps.length).toBeGreaterThan(0);
      expect(accounted()).toBe(sent.length);
      // What did arrive is still in order.
      const sequences = sse.events().map((e) => e.sequence ?? -1);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    } finally {
      sse.close();
    }
  });
});

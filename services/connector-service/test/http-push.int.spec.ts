import type { AssetEvent } from '@openfoundry/bus-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assetEvents,
  type Connector,
  deadLettersOf,
  deviceSpec,
  FakeCoordinator,
  INGEST_TOKENS,
  startConnector,
  unique,
} from './harness.ts';

describe('HTTP push', () => {
  let connector: Connector;
  let coordinator: FakeCoordinator;

  beforeAll(async () => {
    connector = await startConnector({ BODY_LIMIT_BYTES: String(64 * 1024) });
    coordinator = await FakeCoordinator.connect();
  });
  afterAll(async () => {
    await coordinator?.close();
    await connector?.close();
  });

  /** A tenant-unique HTTP device assigned to the replica; the tenant is `acme-<random>` for token `acme`. */
  async function httpDevice(
    tenant: string,
    extra: Parameters<typeof deviceSpec>[0] extends infer T ? Partial<T> : never = {},
  ) {
    const spec = deviceSpec({ tenant, protocol: 'http', ...extra });
    const reply = await coordinator.assign(connector.replica, [spec]);
    expect(reply.running).toContain(`${tenant}/${spec.id}`);
    return spec;
  }

  const push = (
    tenant: string,
    device: string,
    body: string,
    options: { token?: string; type?: string } = {},
  ) =>
    fetch(`${connector.url}/v1/ingest/${tenant}/${device}`, {
      method: 'POST',
      headers: {
        'content-type': options.type ?? 'application/json',
        ...(options.token === '' ? {} : { authorization: `Bearer ${options.token ?? INGEST_TOKENS.acme}` }),
      },
      body,
    });

  it('publishes every item of a JSON array and answers 202 after Kafka acknowledged', async () => {
    const tenant = 'acme';
    const asset = unique('press');
    const spec = await httpDevice(tenant, { allowedAssets: [] });
    const ts = new Date(Date.now() - 1_000).toISOString();
    const response = await push(
      tenant,
      spec.id,
      JSON.stringify([
        { asset, attribute: 'temperature', value: 21.5, ts, seq: 7, unit: 'Cel' },
        { asset, attribute: 'running', value: true, quality: 'uncertain' },
      ]),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 2, rejected: [] });

    const events = await assetEvents((e) => e.tenant === tenant && e.assetId === asset, 2);
    expect(events.map((e) => [e.attribute, e.value, e.sequence, e.quality])).toEqual([
      ['temperature', { type: 'double', value: 21.5 }, 7, 'good'],
      ['running', { type: 'boolean', value: true }, undefined, 'uncertain'],
    ]);
    const first = events[0] as AssetEvent & { key: string };
    expect(first.key).toBe(`${tenant}/${asset}`);
    expect(first.sourceTime).toBe(ts);
    expect(first.unit).toBe('Cel');
    expect(first.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
    expect(first.source).toEqual({ protocol: 'http', replica: connector.replica, device: spec.id });
  });

  it('accepts { events } and NDJSON, with per-item dead letters and a 207 for the bad ones', async () => {
    const tenant = 'acme';
    const asset = unique('line');
    const spec = await httpDevice(tenant, {
      allowedAssets: [asset],
      points: [{ asset, attribute: 'count', valueType: 'long', kind: 'sample', writable: false }],
    });
    const wrapped = await push(
      tenant,
      spec.id,
      JSON.stringify({
        events: [
          { asset, attribute: 'count', value: 3 },
          { asset, attribute: 'count', value: 'x' },
        ],
      }),
    );
    expect(wrapped.status).toBe(207);
    expect(await wrapped.json()).toEqual({
      accepted: 1,
      rejected: [{ index: 1, reason: 'wrong-type', detail: expect.stringContaining('long') }],
    });

    const lines = [
      JSON.stringify({ asset, attribute: 'count', value: 4 }),
      '{not json',
      JSON.stringify({ asset: unique('other'), attribute: 'count', value: 1 }),
      JSON.stringify({ asset, attribute: 'count', value: 5, ts: '2001-01-01T00:00:00Z' }),
      JSON.stringify({ asset, attribute: 'count' }),
    ].join('\n');
    const ndjson = await push(tenant, spec.id, lines, { type: 'application/x-ndjson' });
    expect(ndjson.status).toBe(207);
    const body = (await ndjson.json()) as { accepted: number; rejected: { index: number; reason: string }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, 'unparsable'],
      [2, 'unknown-asset'],
      [3, 'out-of-range-time'],
      [4, 'schema'],
    ]);

    const letters = await deadLettersOf(`http:${tenant}/${spec.id}:`, 5);
    expect(letters.map((l) => l.headers['dlq-reason'])).toEqual([
      'wrong-type',
      'unparsable',
      'unknown-asset',
      'out-of-range-time',
      'schema',
    ]);
    expect(letters[1]?.value).toBe('{not json');
    expect(letters[1]?.headers['dlq-source']).toBe(`http:${tenant}/${spec.id}:item-1`);
    const events = await assetEvents((e) => e.tenant === tenant && e.assetId === asset, 2);
    expect(events.map((e) => e.value)).toEqual([
      { type: 'long', value: 3 },
      { type: 'long', value: 4 },
    ]);

    const status = await (await fetch(`${connector.url}/v1/status`)).json();
    expect(status).toMatchObject({
      replica: connector.replica,
      // Test replicas start as standby (see harness): no coordinator leases devices to them.
      accepting: false,
      inFlight: 0,
      deadLetters: { unparsable: 1, 'unknown-asset': 1, 'wrong-type': 1, 'out-of-range-time': 1, schema: 1 },
    });
  });

  it('answers 400 for a body that is not a list of items, and for malformed JSON', async () => {
    const spec = await httpDevice('acme');
    const notList = await push('acme', spec.id, JSON.stringify({ value: 1 }));
    expect(notList.status).toBe(400);
    expect(((await notList.json()) as { error: { code: string } }).error.code).toBe('MALFORMED_BODY');
    const broken = await push('acme', spec.id, '[{"attribute":');
    expect(broken.status).toBe(400);
  });

  it('answers 413 for a body over the limit', async () => {
    const spec = await httpDevice('acme');
    const items = Array.from({ length: 3_000 }, (_, i) => ({ attribute: 'filler', value: `value-${i}` }));
    const response = await push('acme', spec.id, JSON.stringify(items));
    expect(response.status).toBe(413);
  });

  it('answers 401 without a valid token, 403 for another tenant and 404 for a device not running here', async () => {
    const spec = await httpDevice('acme');
    const body = JSON.stringify([{ attribute: 'a', value: 1 }]);
    expect((await push('acme', spec.id, body, { token: '' })).status).toBe(401);
    expect((await push('acme', spec.id, body, { token: 'not-a-token' })).status).toBe(401);
    expect((await push('acme', spec.id, body, { token: INGEST_TOKENS.globex })).status).toBe(403);
    expect((await push('globex', spec.id, body, { token: INGEST_TOKENS.globex })).status).toBe(404);
    expect((await push('acme', unique('nope'), body)).status).toBe(404);
  });
});

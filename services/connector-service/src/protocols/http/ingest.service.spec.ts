import { Logger } from '@nestjs/common';
import { type AssetEvent, assetEventSchema, type DeviceSpec } from '@openfoundry/bus-registry';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorConfig } from '../../config.ts';
import { DeviceManager } from '../../devices/device-manager.ts';
import type { AssetSink, DeadLetter } from '../../ingest/asset-sink.ts';
import { IngestService } from './ingest.service.ts';

const config = {
  CONNECTOR_REPLICA_ID: 'r1',
  CONNECTOR_PROTOCOLS: ['http'],
  CONNECTOR_MAX_FUTURE_SKEW_MS: 60_000,
  CONNECTOR_MAX_AGE_MS: 3_600_000,
  CONNECTOR_INGEST_TOKENS: new Map([
    ['acme-token', 'acme'],
    ['ops-token', '*'],
  ]),
} as ConnectorConfig;

/** A sink that records instead of writing to Kafka, with a budget of `room` records. */
function fakeSink(room = 100) {
  const published: AssetEvent[] = [];
  const letters: DeadLetter[] = [];
  const validated: AssetEvent[] = [];
  const sink = {
    hasRoom: (count: number) => count <= room,
    room: async () => {},
    validate: (event: AssetEvent) => {
      const checked = assetEventSchema.zod.safeParse(event);
      if (!checked.success) return { ok: false, issues: checked.error.issues };
      validated.push(checked.data);
      return { ok: true, value: checked.data };
    },
    publish: async (events: AssetEvent[]) => {
      published.push(...events);
    },
    deadLetter: async (letter: DeadLetter) => {
      letters.push(letter);
    },
  } as unknown as AssetSink;
  return { sink, published, letters, validated };
}

async function setup(room?: number, assigned = true) {
  const { sink, published, letters, validated } = fakeSink(room);
  const devices = new DeviceManager(sink, config);
  const spec: DeviceSpec = {
    tenant: 'acme',
    id: 'gw',
    protocol: 'http',
    points: [],
    revision: 1,
    allowedAssets: ['a1'],
  };
  if (assigned) await devices.apply({ replica: 'r1', version: 1, devices: [spec] });
  return { service: new IngestService(devices, sink, config), published, letters, validated };
}

beforeAll(() => Logger.overrideLogger(false));

describe(IngestService.name, () => {
  it('authorizes by bearer token and tenant', async () => {
    const { service } = await setup();
    expect(() => service.authorize(undefined, 'acme')).toThrow(/bearer token/);
    expect(() => service.authorize('Bearer nope', 'acme')).toThrow(/bearer token/);
    expect(() => service.authorize('Bearer acme-token', 'globex')).toThrow(/tenant globex/);
    expect(() => service.authorize('Bearer acme-token', 'acme')).not.toThrow();
    expect(() => service.authorize('bearer ops-token', 'globex')).not.toThrow();
  });

  it('publishes good items and dead-letters the others with their index', async () => {
    const { service, published, letters, validated } = await setup();
    const result = await service.ingest(
      'acme',
      'gw',
      'application/x-ndjson',
      [
        '{"asset":"a1","attribute":"t","value":1}',
        '',
        '{"asset":"a2","attribute":"t","value":1}',
        '{"asset":"a1","attribute":"t","value":1,"extra":true}',
        'oops',
      ].join('\n'),
    );
    expect(result).toEqual({
      accepted: 1,
      rejected: [
        { index: 1, reason: 'unknown-asset', detail: expect.any(String) },
        { index: 2, reason: 'schema', detail: 'unknown field(s): extra' },
        { index: 3, reason: 'unparsable', detail: 'the line is not JSON' },
      ],
    });
    expect(published.map((e) => e.assetId)).toEqual(['a1']);
    // Checked once, by the sink's validator, and published as that validator returned it.
    expect(validated).toHaveLength(1);
    expect(published[0]).toBe(validated[0]);
    expect(letters.map((l) => [l.source, Buffer.from(l.payload).toString()])).toEqual([
      ['http:acme/gw:item-1', '{"asset":"a2","attribute":"t","value":1}'],
      ['http:acme/gw:item-2', '{"asset":"a1","attribute":"t","value":1,"extra":true}'],
      ['http:acme/gw:item-3', 'oops'],
    ]);
  });

  it('refuses unknown devices, bodies that are not lists, and more items than the in-flight budget', async () => {
    const { service } = await setup(1);
    await expect(service.ingest('acme', 'other', 'application/json', [])).rejects.toThrow(
      /no HTTP push device/,
    );
    await expect(service.ingest('acme', 'gw', 'application/json', { value: 1 })).rejects.toThrow(
      /JSON array/,
    );
    await expect(
      service.ingest('acme', 'gw', 'application/json', {
        events: [
          { attribute: 't', value: 1 },
          { attribute: 't', value: 2 },
        ],
      }),
    ).rejects.toThrow(/retry later/);
  });

  it('asks for a retry (503) while the replica has not received its first assignment', async () => {
    const { service } = await setup(undefined, false);
    await expect(service.ingest('acme', 'gw', 'application/json', [])).rejects.toMatchObject({
      code: 'NOT_ASSIGNED',
      httpStatus: 503,
    });
  });
});

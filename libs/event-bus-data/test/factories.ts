import {
  defineRegistry,
  payloadSchema,
  type Registry,
  type RepeatRule,
  type TopicDef,
  topic,
} from '@openfoundry/bus-registry';
import { type Fixture, fixtureServices, provisionFixture } from '@openfoundry/bus-registry/testing';
import { z } from 'zod';
import { DataBus, type DataBusOptions } from '../src/index.ts';

export const readingSchema = payloadSchema(
  'test.reading',
  1,
  z.object({
    asset: z.string(),
    seq: z.number().int().nonnegative(),
    value: z.number(),
    pad: z.string().optional(),
    /** For topics with a repeat rule. */
    id: z.uuid().optional(),
  }),
);
export type Reading = z.output<typeof readingSchema.zod>;

export interface DataFixture extends Fixture {
  names: { producer: string; consumer: string; other: string };
  readings: TopicDef<Reading>;
  otherTopic: TopicDef<Reading>;
  group: string;
  bus(service: string, extra?: Partial<DataBusOptions>): Promise<DataBus>;
}

export interface FixtureNames {
  producer: string;
  consumer: string;
  other: string;
}

export interface FixtureShape {
  partitions?: number;
  maxMessageBytes?: number;
  repeats?: RepeatRule;
}

/**
 * A registry of two topics: `readings` owned by the producer and consumed by the consumer's
 * group, and one owned by a third service. Pure, so a child process can rebuild it from the names.
 */
export function dataRegistry(names: FixtureNames, options: FixtureShape = {}) {
  const group = `${names.consumer}.readings`;
  const readings = topic({
    name: `${names.producer.replace(/-service$/, '')}.readings`,
    owner: names.producer,
    kind: 'telemetry',
    description: 'test readings',
    schema: readingSchema,
    partitions: options.partitions ?? 3,
    maxMessageBytes: options.maxMessageBytes ?? 1_048_576,
    consumers: [{ service: names.consumer, group }],
    ...(options.repeats ? { repeats: options.repeats } : {}),
  });
  const otherTopic = topic({
    name: `${names.other.replace(/-service$/, '')}.readings`,
    owner: names.other,
    kind: 'telemetry',
    description: 'a topic the producer does not own',
    schema: readingSchema,
    partitions: 1,
  });
  const registry: Registry = defineRegistry({ topics: [readings, otherTopic], subjects: [], streams: [] });
  return { registry, readings, otherTopic, group };
}

/** dataRegistry() with fresh service names, provisioned on the local broker. */
export async function dataFixture(options: FixtureShape = {}) {
  const names = fixtureServices(['producer', 'consumer', 'other'] as const);
  const { registry, readings, otherTopic, group } = dataRegistry(names, options);
  const fixture = await provisionFixture(registry, Object.values(names));
  const buses: DataBus[] = [];
  const result: DataFixture = {
    ...fixture,
    names,
    readings,
    otherTopic,
    group,
    async bus(service, extra = {}) {
      const creds = fixture.credentials(service);
      const bus = await DataBus.connect({
        service,
        brokers: fixture.kafkaBrokers,
        username: creds.kafka.username,
        password: creds.kafka.password,
        registry,
        ...extra,
      });
      buses.push(bus);
      return bus;
    },
    async teardown() {
      await Promise.allSettled(buses.map((b) => b.close()));
      await fixture.teardown();
    },
  };
  return result;
}

export function reading(asset: string, seq: number, pad = 0): Reading {
  return { asset, seq, value: seq * 0.5, ...(pad > 0 ? { pad: 'x'.repeat(pad) } : {}) };
}

/** Waits (bounded) until a condition holds, polling. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Checks a read-back: every (asset, seq) once, in seq order per asset. */
export function sequenceReport(received: readonly Reading[], assets: number, perAsset: number) {
  const seen = new Map<string, number[]>();
  for (const r of received) {
    const list = seen.get(r.asset) ?? [];
    list.push(r.seq);
    seen.set(r.asset, list);
  }
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  for (let a = 0; a < assets; a++) {
    const list = seen.get(`asset-${a}`) ?? [];
    const unique = new Set(list);
    duplicated += list.length - unique.size;
    for (let s = 0; s < perAsset; s++) if (!unique.has(s)) lost += 1;
    for (let i = 1; i < list.length; i++) if ((list[i] ?? 0) < (list[i - 1] ?? 0)) reordered += 1;
  }
  return { lost, duplicated, reordered, total: received.length };
}

/**
 * Reads the fixture's readings back through the consumer's group until `count` arrived, lingers
 * a moment so duplicates would show, and returns the sequence report of what came.
 */
export async function readBackReport(fx: DataFixture, assets: number, perAsset: number, timeoutMs = 60_000) {
  const received: Reading[] = [];
  const consumer = await (await fx.bus(fx.names.consumer)).consume(fx.readings, {
    group: fx.group,
    maxInFlight: 2_000,
    handler: async (m) => {
      received.push(m.value);
    },
  });
  await until(() => received.length >= assets * perAsset, timeoutMs, 'every record');
  await new Promise((r) => setTimeout(r, 1_000));
  await consumer.close();
  return sequenceReport(received, assets, perAsset);
}

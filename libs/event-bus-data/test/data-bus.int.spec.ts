import { PoisonMessageError } from '@openfoundry/bus-registry';
import { Consumer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusError, BusErrorCode, type BusMessage, DataBus } from '../src/index.ts';
import { type DataFixture, dataFixture, type Reading, readBackReport, reading, until } from './factories.ts';

let fx: DataFixture;
beforeAll(async () => {
  fx = await dataFixture({ maxMessageBytes: 4096 });
});
afterAll(async () => {
  await fx?.teardown();
});

async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<BusError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(BusError);
    return error as BusError;
  }
  throw new Error('expected a BusError, got success');
}

describe(DataBus.name, () => {
  describe('publish and consume', () => {
    it('delivers records with their key, payload and OpenLineage headers, and commits them', async () => {
      const producer = await fx.bus(fx.names.producer, { namespace: 'openfoundry.test' });
      const pub = producer.publisher(fx.readings, { job: `${fx.names.producer}.normalise` });
      const results = await pub.publishMany(
        [reading('asset-1', 0), reading('asset-1', 1), reading('asset-2', 0)].map((value) => ({
          key: value.asset,
          value,
        })),
      );
      expect(results.map((r) => r.offset >= 0n)).toEqual([true, true, true]);
      expect(results[1]?.partition).toBe(results[0]?.partition);
      expect(results[1]?.offset).toBe((results[0]?.offset ?? 0n) + 1n);

      const consumerBus = await fx.bus(fx.names.consumer);
      const received: BusMessage<Reading>[] = [];
      const consumer = await consumerBus.consume(fx.readings, {
        group: fx.group,
        handler: async (m) => {
          received.push(m);
        },
      });
      await until(() => received.length >= 3, 30_000, 'three records');
      await consumer.close();

      const first = received.find((m) => m.value.asset === 'asset-1' && m.value.seq === 0);
      expect(first?.key).toBe('asset-1');
      expect(first?.lineage).toMatchObject({
        namespace: 'openfoundry.test',
        jobName: `${fx.names.producer}.normalise`,
        runId: producer.runId,
        producer: `https://openfoundry.dev/services/${fx.names.producer}`,
        schemaUrl: fx.readings.schema.url,
      });
      expect(first?.lineage?.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(consumer.stats.handled).toBe(3);

      // Committed: a new member of the group starts after them.
      const again: BusMessage<Reading>[] = [];
      await pub.publish({ key: 'asset-3', value: reading('asset-3', 0) });
      const second = await consumerBus.consume(fx.readings, {
        group: fx.group,
        handler: async (m) => {
          again.push(m);
        },
      });
      await until(() => again.length >= 1, 30_000, 'the fourth record');
      await new Promise((r) => setTimeout(r, 500));
      await second.close();
      expect(again.map((m) => m.value.asset)).toEqual(['asset-3']);
    });

    it('starts a live push at the end of the stream, whatever is there before (start: latest)', async () => {
      const producer = await fx.bus(fx.names.producer);
      const pub = producer.publisher(fx.readings, { job: `${fx.names.producer}.normalise` });
      await pub.publish({ key: 'asset-9', value: reading('asset-9', 0) });
      const consumerBus = await fx.bus(fx.names.consumer);
      const got: BusMessage<Reading>[] = [];
      const consumer = await consumerBus.consume(fx.readings, {
        group: fx.group,
        start: 'latest',
        handler: async (m) => {
          got.push(m);
        },
      });
      // consume() resolves once every assigned partition has its start: this comes after it.
      await pub.publish({ key: 'asset-9', value: reading('asset-9', 1) });
      await until(() => got.length >= 1, 30_000, 'the record published after the start');
      await new Promise((r) => setTimeout(r, 500));
      await consumer.close();
      expect(got.map((m) => `${m.value.asset}/${m.value.seq}`)).toEqual(['asset-9/1']);
      expect(consumer.stats.handled).toBe(1);
    });

    it('puts a key on the partition a Java client picks for it, the first time and every time after (ADR 0003)', async () => {
      const producer = await fx.bus(fx.names.producer);
      const pub = producer.publisher(fx.readings, { job: `${fx.names.producer}.normalise` });
      // Kafka's own murmur2 test vectors (Utils.murmur2), hashed over the key's UTF-8 bytes.
      const vectors: [string, number][] = [
        ['21', -973932308],
        ['foobar', -790332482],
        ['a-little-bit-long-string', -985981536],
        ['a-little-bit-longer-string', -1486304829],
        ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
        ['abc', 479470107],
      ];
      const partitions = 3; // dataFixture's topic
      const expected = vectors.map(([, hash]) => (hash & 0x7fffffff) % partitions);
      for (let round = 0; round < 3; round++) {
        const results = await pub.publishMany(
          vectors.map(([key], i) => ({ key, value: reading(key, round * 10 + i) })),
        );
        expect(results.map((r) => r.partition)).toEqual(expected);
      }
    });
  });

  describe('rejects bad use with a clear error', () => {
    it('a publisher without an OpenLineage job', async () => {
      const bus = await fx.bus(fx.names.producer);
      const error = await rejection(() => bus.publisher(fx.readings, { job: ' ' }));
      expect(error.code).toBe(BusErrorCode.MissingLineage);
      expect(error.message).toContain('OpenLineage job');
    });
    it('a topic that is not in the registry', async () => {
      const bus = await fx.bus(fx.names.producer);
      const error = await rejection(() => bus.publisher('nowhere.topic', { job: 'x.y' }));
      expect(error.code).toBe(BusErrorCode.UnknownTopic);
      expect(error.message).toContain('"nowhere.topic" is not in the bus registry');
    });
    it('publishing a topic another service owns', async () => {
      const bus = await fx.bus(fx.names.producer);
      const error = await rejection(() => bus.publisher(fx.otherTopic, { job: 'x.y' }));
      expect(error.code).toBe(BusErrorCode.NotOwner);
    });
    it('consuming with a group the registry does not declare', async () => {
      const bus = await fx.bus(fx.names.consumer);
      const error = await rejection(
        bus.consume(fx.readings, { group: `${fx.names.consumer}.other`, handler: async () => {} }),
      );
      expect(error.code).toBe(BusErrorCode.NotDeclared);
    });
    it('a payload that breaks the schema, naming the field', async () => {
      const bus = await fx.bus(fx.names.producer);
      const pub = bus.publisher(fx.readings, { job: 'x.y' });
      const error = await rejection(pub.publish({ key: 'a', value: { asset: 'a', seq: -1, value: 1 } }));
      expect(error.code).toBe(BusErrorCode.InvalidPayload);
      expect(error.message).toContain('seq');
    });
    it('a record larger than the topic allows', async () => {
      const bus = await fx.bus(fx.names.producer);
      const pub = bus.publisher(fx.readings, { job: 'x.y' });
      const error = await rejection(pub.publish({ key: 'a', value: reading('a', 0, 8000) }));
      expect(error.code).toBe(BusErrorCode.TooLarge);
      expect(error.message).toContain('4096');
    });
    it('wrong credentials', async () => {
      const error = await rejection(
        DataBus.connect({
          service: fx.names.producer,
          brokers: fx.kafkaBrokers,
          username: fx.names.producer,
          password: 'not-the-password',
          registry: fx.registry,
        }),
      );
      expect(error.code).toBe(BusErrorCode.Unauthorized);
    });
  });

  describe('broker-side authorization', () => {
    it('refuses a write to a topic the service does not own, even when the code claims it', async () => {
      // A registry that lies about ownership gets past the library's own check: the broker's ACLs
      // (write only on the service's own domain prefix) still refuse the record.
      const lying = {
        ...fx.registry,
        topics: fx.registry.topics.map((t) =>
          t.name === fx.otherTopic.name ? { ...t, owner: fx.names.producer } : t,
        ),
      };
      const creds = fx.credentials(fx.names.producer);
      const bus = await DataBus.connect({
        service: fx.names.producer,
        brokers: fx.kafkaBrokers,
        username: creds.kafka.username,
        password: creds.kafka.password,
        registry: lying,
        deliveryTimeoutMs: 1_000,
      });
      try {
        const pub = bus.publisher(fx.otherTopic.name, { job: 'x.y' });
        const error = await rejection(pub.publish({ key: 'a', value: reading('a', 0) }));
        expect(error.code).toBe(BusErrorCode.Unauthorized);
      } finally {
        await bus.close();
      }
    });
    it('refuses reading a topic the service is not a declared consumer of', async () => {
      const creds = fx.credentials(fx.names.other);
      const client = new Consumer({
        clientId: 'test',
        groupId: `${fx.names.other}.sneak`,
        bootstrapBrokers: fx.kafkaBrokers,
        sasl: { mechanism: 'SCRAM-SHA-512', username: creds.kafka.username, password: creds.kafka.password },
        retries: 0,
      });
      try {
        await expect(
          client.consume({ topics: [fx.readings.name], mode: 'earliest', autocommit: false }),
        ).rejects.toThrow(/authoriz/i);
      } finally {
        await client.close(true).catch(() => {});
      }
    });
  });

  describe('concurrent publishing', () => {
    it('keeps every record exactly once and in order per key when nothing awaits each send', async () => {
      const f = await dataFixture({ partitions: 4 });
      try {
        const bus = await f.bus(f.names.producer);
        const pub = bus.publisher(f.readings, { job: 'test.concurrent' });
        const assets = 50;
        const perAsset = 400;
        const sends: Promise<unknown>[] = [];
        for (let s = 0; s < perAsset; s++) {
          for (let a = 0; a < assets; a++)
            sends.push(pub.publish({ key: `asset-${a}`, value: reading(`asset-${a}`, s) }));
        }
        const settled = await Promise.allSettled(sends);
        expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);

        expect(await readBackReport(f, assets, perAsset, 60_000)).toEqual({
          lost: 0,
          duplicated: 0,
          reordered: 0,
          total: assets * perAsset,
        });
      } finally {
        await f.teardown();
      }
    });
  });

  describe('poison records and retries', () => {
    it('retries a failing handler, dead-letters a poison record with its reason, and keeps the partition moving', async () => {
      const f = await dataFixture({ partitions: 1 });
      try {
        const pub = (await f.bus(f.names.producer)).publisher(f.readings, { job: 'test.poison' });
        await pub.publishMany([0, 1, 2, 3].map((s) => ({ key: 'asset-p', value: reading('asset-p', s) })));
        const consumerBus = await f.bus(f.names.consumer);
        const handled: number[] = [];
        let flaky = 0;
        const consumer = await consumerBus.consume(f.readings, {
          group: f.group,
          retryDelayMs: 10,
          handler: async (m) => {
            if (m.value.seq === 1) throw new PoisonMessageError('seq 1 can never be handled');
            if (m.value.seq === 2 && flaky++ < 2) throw new Error('transient failure');
            handled.push(m.value.seq);
          },
        });
        await until(() => handled.length >= 3, 30_000, 'records 0, 2 and 3');
        await consumer.close();
        expect(handled).toEqual([0, 2, 3]);
        expect(consumer.stats).toMatchObject({ deadLettered: 1, retried: 2 });

        // The dead letter holds the original bytes and the reason; read it as the admin would.
        const dlq = f.registry.topics.find((t) => t.deadLetterOf === f.group);
        expect(dlq?.name).toBe(`${f.names.consumer.replace(/-service$/, '')}.dlq.readings`);
        const admin = new Consumer({
          clientId: 'test',
          groupId: `admin-check-${Date.now()}`,
          bootstrapBrokers: f.kafkaBrokers,
          sasl: { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'admin-secret' },
        });
        const stream = await admin.consume({
          topics: [dlq?.name ?? ''],
          mode: 'earliest',
          autocommit: false,
        });
        const [letter] = await new Promise<Array<{ headers: Map<Buffer, Buffer>; value: Buffer }>>(
          (resolve) => {
            stream.once('data', (m) => resolve([m as { headers: Map<Buffer, Buffer>; value: Buffer }]));
          },
        );
        await stream.close();
        await admin.close(true);
        const headers = Object.fromEntries(
          [...(letter?.headers ?? [])].map(([k, v]) => [k.toString(), v.toString()]),
        );
        expect(headers['dlq-reason']).toBe('poison');
        expect(headers['dlq-detail']).toContain('seq 1 can never be handled');
        expect(headers['dlq-source']).toBe(`${f.readings.name}/0:1`);
        expect(JSON.parse(letter?.value.toString() ?? '{}')).toEqual(reading('asset-p', 1));
      } finally {
        await f.teardown();
      }
    });
  });
});

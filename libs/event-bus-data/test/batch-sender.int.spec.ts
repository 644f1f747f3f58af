import { readPlatformEnv } from '@openfoundry/infra-local';
import { FaultProxy } from '@openfoundry/infra-local/testing';
import { ConnectionPool, Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSender, type OutgoingRecord } from '../src/batch-sender.ts';
import { fetchPartitions } from '../src/fetch-loop.ts';
import { decodeRecordBatches } from '../src/record-batches.ts';
import { type DataFixture, dataFixture } from './factories.ts';

let fx: DataFixture;
const closing: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  fx = await dataFixture({ partitions: 2, maxMessageBytes: 4096 });
});
afterAll(async () => {
  for (const close of closing.reverse()) await close().catch(() => {});
  await fx?.teardown();
});

const sasl = (service: string) => {
  const { kafka } = fx.credentials(service);
  return { mechanism: 'SCRAM-SHA-512' as const, username: kafka.username, password: kafka.password };
};

/** A sender as the producer service, optionally through another bootstrap address. */
function newSender(
  options: { brokers?: string[]; deliveryTimeoutMs?: number; compression?: 'zstd' | 'none' } = {},
) {
  const producer = new Producer({
    clientId: `${fx.names.producer}.test`,
    bootstrapBrokers: options.brokers ?? fx.kafkaBrokers,
    sasl: sasl(fx.names.producer),
    idempotent: true,
    retries: 5,
    retryDelay: 100,
  });
  const sender = new BatchSender({
    producer,
    clientId: `${fx.names.producer}.test`,
    connection: { sasl: sasl(fx.names.producer) },
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 10_000,
    retryDelayMs: 100,
    requestTimeoutMs: 10_000,
    compression: options.compression ?? 'none',
  });
  closing.push(
    () => sender.close(),
    () => producer.close(),
  );
  return sender;
}

const record = (partition: number, text: string, bytes = 0): OutgoingRecord => ({
  topic: fx.readings.name,
  partition,
  key: Buffer.from(`key-${partition}`),
  value: bytes > 0 ? Buffer.alloc(bytes, 0x61) : Buffer.from(text),
  headers: new Map([[Buffer.from('h'), Buffer.from(text)]]),
  timestamp: Date.now(),
});

interface StoredBatch {
  producerId: bigint;
  baseSequence: number;
  /** The codec bits of the batch's attributes (0 none, 4 zstd). */
  codec: number;
  values: string[];
}

/** The batches a partition holds, read as the consumer service. */
async function storedBatches(partition: number): Promise<StoredBatch[]> {
  const reader = new Producer({
    clientId: `${fx.names.consumer}.test-reader`,
    bootstrapBrokers: fx.kafkaBrokers,
    sasl: sasl(fx.names.consumer),
  });
  const pool = new ConnectionPool(`${fx.names.consumer}.test-reader`, { sasl: sasl(fx.names.consumer) });
  try {
    const metadata = await reader.metadata({ topics: [fx.readings.name] });
    const topic = metadata.topics.get(fx.readings.name);
    const leader = topic?.partitions[partition]?.leader as number;
    const connection = await pool.get(metadata.brokers.get(leader) as never);
    const answer = await fetchPartitions(
      connection,
      topic?.id as string,
      [{ partition, offset: 0n }],
      1 << 20,
      100,
    );
    const bytes = answer.partitions[0]?.records ?? Buffer.alloc(0);
    const batches: StoredBatch[] = [];
    for (let at = 0; at < bytes.length; at += 12 + bytes.readInt32BE(at + 8)) {
      const one = bytes.subarray(at, at + 12 + bytes.readInt32BE(at + 8));
      const values: string[] = [];
      decodeRecordBatches(one, partition, 0n, (r) => values.push(r.value?.toString() ?? ''));
      batches.push({
        producerId: one.readBigInt64BE(43),
        baseSequence: one.readInt32BE(53),
        codec: one.readInt16BE(21) & 0x07,
        values,
      });
    }
    return batches;
  } finally {
    await pool.close().catch(() => {});
    await reader.close().catch(() => {});
  }
}

describe('BatchSender', () => {
  it('writes each partition’s records as one batch of one producer and numbers the next batch on', async () => {
    const sender = newSender();
    const first = await sender.send([
      record(0, 'a0'),
      record(1, 'b0'),
      record(0, 'a1'),
      record(0, 'a2'),
      record(1, 'b1'),
    ]);
    expect(
      first.map((o) => [o.partition, o.offset, o.error, o.records.map((r) => r.value.toString())]),
    ).toEqual([
      [0, 0n, undefined, ['a0', 'a1', 'a2']],
      [1, 0n, undefined, ['b0', 'b1']],
    ]);
    const second = await sender.send([record(0, 'a3'), record(0, 'a4')]);
    expect(second.map((o) => [o.partition, o.offset])).toEqual([[0, 3n]]);

    const p0 = await storedBatches(0);
    const p1 = await storedBatches(1);
    expect(p0.map((b) => [b.baseSequence, b.values])).toEqual([
      [0, ['a0', 'a1', 'a2']],
      [3, ['a3', 'a4']],
    ]);
    expect(p1.map((b) => [b.baseSequence, b.values])).toEqual([[0, ['b0', 'b1']]]);
    const ids = new Set([...p0, ...p1].map((b) => b.producerId));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBeGreaterThanOrEqual(0n);
  });

  it('fails only the partition the broker refuses, and numbers that partition’s next batch as if it never was', async () => {
    const sender = newSender();
    // Over the topic's max.message.bytes (4096): refused by the broker, the other partition written.
    const [refused, written] = await sender.send([record(0, 'huge', 8_000), record(1, 'b2')]);
    expect(refused?.offset).toBeUndefined();
    expect([10, 18]).toContain((refused?.error as { apiCode?: number } | undefined)?.apiCode);
    expect(written?.error).toBeUndefined();
    expect(written?.offset).toBe(2n);

    const [next] = await sender.send([record(0, 'a5')]);
    expect(next?.error).toBeUndefined();
    expect(next?.offset).toBe(5n);
    // Same producer, sequence 0: a gap left by the refused batch would have been answered with
    // OUT_OF_ORDER_SEQUENCE_NUMBER and a new producer id.
    const stored = (await storedBatches(0)).at(-1);
    const other = (await storedBatches(1)).at(-1);
    expect(stored).toMatchObject({ baseSequence: 0, values: ['a5'] });
    expect(other).toMatchObject({ baseSequence: 0, values: ['b2'] });
    expect(stored?.producerId).toBe(other?.producerId);
  });

  it('fails a batch no broker acknowledged before the deadline and carries on under a new producer id', async () => {
    const env = readPlatformEnv();
    const proxy = new FaultProxy({
      listenPort: Number(env.OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT),
      targetPort: Number(env.OPENFOUNDRY_KAFKA_FAULT_PORT),
    });
    await proxy.start();
    closing.push(() => proxy.stop());
    const sender = newSender({
      brokers: [`127.0.0.1:${env.OPENFOUNDRY_KAFKA_FAULT_PROXY_PORT}`],
      deliveryTimeoutMs: 1_500,
    });
    const [before] = await sender.send([record(1, 'b3')]);
    expect(before?.offset).toBe(3n);

    proxy.cut();
    const [lost] = await sender.send([record(1, 'never')]);
    expect(lost?.offset).toBeUndefined();
    expect(lost?.error).toBeInstanceOf(Error);
    proxy.restore();

    const [after] = await sender.send([record(1, 'b4')]);
    expect(after?.error).toBeUndefined();
    expect(after?.offset).toBe(4n);
    const [a, b] = (await storedBatches(1)).slice(-2);
    expect(a).toMatchObject({ values: ['b3'] });
    expect(b).toMatchObject({ baseSequence: 0, values: ['b4'] });
    expect(b?.producerId).not.toBe(a?.producerId);
  });

  it('writes zstd-compressed batches that read back record for record', async () => {
    const sender = newSender({ compression: 'zstd' });
    const values = Array.from({ length: 50 }, (_, i) => `{"reading":${i},"unit":"Cel","quality":"good"}`);
    const [sent] = await sender.send(values.map((v) => record(0, v)));
    expect(sent?.error).toBeUndefined();
    const stored = (await storedBatches(0)).at(-1);
    expect(stored?.codec).toBe(4);
    expect(stored?.values).toEqual(values);
  });

  it('refuses a second send while one is in flight', async () => {
    const sender = newSender();
    const first = sender.send([record(0, 'a6')]);
    await expect(sender.send([record(0, 'a7')])).rejects.toThrow(/one send at a time/);
    expect((await first)[0]?.offset).toBe(56n);
  });
});

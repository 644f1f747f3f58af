import { payloadSchema, topic } from '@openfoundry/bus-registry';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { BatchConsumer, type BatchConsumerDeps, type DataBatch } from './batch-consumer.ts';
import type { RawRecord } from './records.ts';

// The batching rules with a stand-in for the fetch loop and fake timers; the integration tests
// (test/batch-consumer.int.spec.ts) run the same class on a real broker.

type Reading = { n: number };
const schema = payloadSchema('test.reading', 1, z.object({ n: z.number() }));

const readings = topic({
  name: 'test.readings',
  owner: 'test-service',
  kind: 'telemetry',
  description: 'readings',
  schema,
  partitions: 1,
});

/** Hands records over as the fetch loop does: one call per fetch answer. */
class FakeSource {
  paused = false;
  onRecords: (records: readonly RawRecord[]) => void = () => {};
  /** One fetch answer. */
  fetched(...records: RawRecord[]) {
    this.onRecords(records);
  }
  async start() {}
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  async close() {}
}

let offset = 0n;
const record = (n: number): RawRecord =>
  ({
    key: Buffer.from('k'),
    value: Buffer.from(JSON.stringify({ n })),
    headers: new Map(),
    topic: readings.name,
    partition: 0,
    offset: offset++,
    timestamp: 0n,
  }) as unknown as RawRecord;

async function consumerWith(options: { maxWaitMs: number; maxRecords?: number }, handlerMs: number) {
  const stream = new FakeSource();
  const batches: number[][] = [];
  const client = {
    commit: async () => {},
    close: async () => {},
  };
  const consumer = new BatchConsumer<Reading>(
    {
      topic: readings,
      client,
      source: (options: { onRecords: FakeSource['onRecords'] }) => {
        stream.onRecords = options.onRecords;
        return stream;
      },
      deadLetters: undefined,
      log: () => {},
    } as unknown as BatchConsumerDeps<Reading>,
    {
      group: 'test-service.readings',
      ...options,
      handler: async (batch: DataBatch<Reading>) => {
        batches.push(batch.records.map((r) => r.value.n));
        await new Promise((resolve) => setTimeout(resolve, handlerMs));
      },
    },
  );
  await consumer.start();
  return { stream, batches, consumer };
}

describe('BatchConsumer batching', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    offset = 0n;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets records that arrive while the handler is busy wait out maxWaitMs, so batches stay large', async () => {
    const { stream, batches } = await consumerWith({ maxWaitMs: 100 }, 10);
    stream.fetched(record(1));
    await vi.advanceTimersByTimeAsync(100); // the first batch goes; its handler takes 10 ms
    expect(batches).toEqual([[1]]);
    stream.fetched(record(2));
    await vi.advanceTimersByTimeAsync(20); // the handler is done, record 2 has waited 20 ms
    stream.fetched(record(3));
    await vi.advanceTimersByTimeAsync(50);
    expect(batches).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(30); // 100 ms after record 2 arrived
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('hands a full batch over at once', async () => {
    const { stream, batches } = await consumerWith({ maxWaitMs: 10_000, maxRecords: 3 }, 0);
    for (let n = 1; n <= 3; n++) stream.fetched(record(n));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('cuts a fetch answer bigger than a batch into batches, and fetches again only once the rest is not one', async () => {
    const { stream, batches } = await consumerWith({ maxWaitMs: 10_000, maxRecords: 3 }, 10);
    stream.fetched(...[1, 2, 3, 4, 5, 6, 7].map(record));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(stream.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    // Record 7 alone is not a batch: fetching goes on, and it waits out its maxWaitMs.
    expect(stream.paused).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(batches.at(-1)).toEqual([7]);
  });

  it('with maxWaitMs 0, hands over what one macrotask gathered, and the rest as soon as the handler is free', async () => {
    const { stream, batches } = await consumerWith({ maxWaitMs: 0 }, 10);
    stream.fetched(record(1));
    stream.fetched(record(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2]]);
    stream.fetched(record(3));
    stream.fetched(record(4));
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

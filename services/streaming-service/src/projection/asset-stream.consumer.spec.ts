import type { DataBus } from '@openfoundry/event-bus-data';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamingConfig } from '../config.ts';
import { AssetStreamConsumer, RESTART_INTERVAL_MS } from './asset-stream.consumer.ts';
import { RebuildInProgressError } from './projection.errors.ts';
import type { ProjectionService } from './projection.service.ts';

interface FakeConsumer {
  start: 'committed' | 'earliest';
  failure: Error | undefined;
  closed: boolean;
  stats: { batches: number; records: number; deadLettered: number; retried: number };
  close(): Promise<void>;
  endOffsets(): Promise<Map<number, bigint>>;
}

/** The consumer's collaborators as fakes that record what happened, in order. */
function setup(storedOffsets: Map<number, bigint>, ends = new Map<number, bigint>()) {
  const events: string[] = [];
  const consumers: FakeConsumer[] = [];
  const projection = {
    offsets: async () => new Map(storedOffsets),
    reset: async () => {
      events.push('reset');
      storedOffsets.clear();
    },
  };
  const bus = {
    consumeBatches: async (_topic: unknown, options: { start: 'committed' | 'earliest'; group: string }) => {
      events.push(`start ${options.start} as ${options.group}`);
      const consumer: FakeConsumer = {
        start: options.start,
        failure: undefined,
        closed: false,
        stats: { batches: 0, records: 0, deadLettered: 0, retried: 0 },
        close: async () => {
          events.push('close');
          consumer.closed = true;
        },
        endOffsets: async () => new Map(ends),
      };
      consumers.push(consumer);
      return consumer;
    },
  };
  const config = {
    STREAMING_CONSUME: true,
    STREAMING_BATCH_MAX_RECORDS: 100,
    STREAMING_BATCH_MAX_WAIT_MS: 10,
  };
  const consumer = new AssetStreamConsumer(
    projection as unknown as ProjectionService,
    bus as unknown as DataBus,
    null,
    config as StreamingConfig,
  );
  return { consumer, events, consumers };
}

afterEach(() => {
  vi.useRealTimers();
});

describe(AssetStreamConsumer.name, () => {
  it('reports per partition how far the read models are behind the end of the stream', async () => {
    const { consumer } = setup(
      new Map([
        [0, 40n],
        [1, 7n],
      ]),
      new Map([
        [0, 50n],
        [1, 7n],
        [2, 3n],
      ]),
    );
    await consumer.onApplicationBootstrap();
    expect((await consumer.status()).lag).toEqual({ '0': '10', '1': '0', '2': '3' });
    await consumer.onApplicationShutdown();
    expect((await consumer.status()).lag).toBeUndefined();
  });

  it('replays from the beginning into read models without offsets', async () => {
    const { consumer, events } = setup(new Map());
    await consumer.onApplicationBootstrap();
    expect(events).toEqual(['start earliest as streaming-service.asset-state']);
    await consumer.onApplicationShutdown();
  });

  it("resumes from the group's committed offsets when the read models hold offsets", async () => {
    const { consumer, events } = setup(new Map([[0, 42n]]));
    await consumer.onApplicationBootstrap();
    expect(events).toEqual(['start committed as streaming-service.asset-state']);
    await consumer.onApplicationShutdown();
    expect(events.at(-1)).toBe('close');
  });

  it('rebuilds in order: stop consuming, empty the tables, replay from the beginning', async () => {
    const { consumer, events, consumers } = setup(new Map([[3, 7n]]));
    await consumer.onApplicationBootstrap();
    await consumer.rebuild();
    expect(events).toEqual([
      'start committed as streaming-service.asset-state',
      'close',
      'reset',
      'start earliest as streaming-service.asset-state',
    ]);
    expect(consumers.map((c) => c.closed)).toEqual([true, false]);
    expect((await consumer.status()).startedFrom).toBe('earliest');
    await consumer.onApplicationShutdown();
  });

  it('refuses a second rebuild while one runs (409)', async () => {
    const { consumer } = setup(new Map());
    await consumer.onApplicationBootstrap();
    const first = consumer.rebuild();
    expect(() => consumer.rebuild()).toThrow(RebuildInProgressError);
    await first;
    await consumer.onApplicationShutdown();
  });

  it('reports a failed consumer as not ready and restarts it from the stored offsets', async () => {
    vi.useFakeTimers();
    const { consumer, events, consumers } = setup(new Map([[1, 5n]]));
    await consumer.onApplicationBootstrap();
    const [first] = consumers;
    if (!first) throw new Error('no consumer started');
    first.failure = new Error('handler failed 10 times: database unreachable');
    await expect(consumer.check()).rejects.toThrow(/database unreachable/);
    expect((await consumer.status()).state).toBe('failed');

    await vi.advanceTimersByTimeAsync(RESTART_INTERVAL_MS);
    expect(events).toEqual([
      'start committed as streaming-service.asset-state',
      'close',
      'start committed as streaming-service.asset-state',
    ]);
    await expect(consumer.check()).resolves.toBeUndefined();
    expect(await consumer.status()).toMatchObject({ state: 'running', restarts: 1 });
    await consumer.onApplicationShutdown();
  });

  it('does nothing without a data bus (documents are built without one)', async () => {
    const consumer = new AssetStreamConsumer({} as ProjectionService, null, null, {
      STREAMING_CONSUME: true,
    } as StreamingConfig);
    await consumer.onApplicationBootstrap();
    await expect(consumer.check()).resolves.toBeUndefined();
    await consumer.onApplicationShutdown();
  });
});

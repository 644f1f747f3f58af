import { type AssetEvent, BusError, BusErrorCode } from '@openfoundry/bus-registry';
import { describe, expect, it } from 'vitest';
import { assetEvent } from '../../test/factories.ts';
import { type ForwardBatch, forwardBatch } from './forward-batch.ts';
import { ProgressAccumulator } from './progress.ts';

function batchOf(...parts: [partition: number, firstOffset: number, events: AssetEvent[]][]): ForwardBatch {
  const records = parts.flatMap(([partition, first, events]) =>
    events.map((value, i) => ({ partition, offset: BigInt(first + i), value })),
  );
  const nextOffsets = new Map(
    parts.map(([partition, first, events]) => [partition, BigInt(first + events.length)]),
  );
  return { records, nextOffsets };
}

const events = (asset: string, n: number) =>
  Array.from({ length: n }, (_, i) => assetEvent({ assetId: asset, sequence: i }));

describe(forwardBatch.name, () => {
  it('hands every event to NATS in batch order before waiting for any confirmation', async () => {
    const sent: AssetEvent[] = [];
    const confirmations: (() => void)[] = [];
    const batch = batchOf([0, 10, events('a', 3)], [1, 0, events('b', 2)]);
    const done = forwardBatch(batch, (event) => {
      sent.push(event);
      return new Promise<void>((resolve) => confirmations.push(resolve));
    });
    // Nothing confirmed yet, yet every publish has been issued, in order.
    expect(sent.map((e) => `${e.assetId}${e.sequence}`)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
    for (const confirm of confirmations) confirm();
    const outcome = await done;
    expect(outcome.skipped).toEqual([]);
    expect(outcome.partitions).toEqual([
      {
        partition: 0,
        nextOffset: 13n,
        forwarded: 3,
        skipped: 0,
        lastIngestTime: batch.records[2]?.value.ingestTime,
      },
      {
        partition: 1,
        nextOffset: 2n,
        forwarded: 2,
        skipped: 0,
        lastIngestTime: batch.records[4]?.value.ingestTime,
      },
    ]);
  });

  it('rejects the batch when NATS fails, so the consumer redelivers it uncommitted', async () => {
    const batch = batchOf([0, 0, events('a', 3)]);
    let n = 0;
    const failing = () =>
      ++n === 2 ? Promise.reject(new BusError(BusErrorCode.Unavailable, 'nats down')) : Promise.resolve();
    await expect(forwardBatch(batch, failing)).rejects.toThrow('nats down');
  });

  it('skips, and reports, an event NATS can never carry instead of blocking its partition', async () => {
    const batch = batchOf([3, 5, events('a', 3)]);
    let n = 0;
    const outcome = await forwardBatch(batch, () =>
      ++n === 2 ? Promise.reject(new BusError(BusErrorCode.TooLarge, 'too large')) : Promise.resolve(),
    );
    expect(outcome.partitions).toEqual([
      expect.objectContaining({ partition: 3, nextOffset: 8n, forwarded: 2, skipped: 1 }),
    ]);
    expect(outcome.skipped).toEqual([
      expect.objectContaining({ partition: 3, offset: 6n, reason: 'too large' }),
    ]);
  });

  it('counts partitions whose records were all dead-lettered, from nextOffsets', async () => {
    const batch: ForwardBatch = { records: [], nextOffsets: new Map([[4, 100n]]) };
    const outcome = await forwardBatch(batch, () => Promise.resolve());
    expect(outcome.partitions).toEqual([
      { partition: 4, nextOffset: 100n, forwarded: 0, skipped: 0, lastIngestTime: undefined },
    ]);
  });
});

describe(ProgressAccumulator.name, () => {
  it('adds counts, keeps the highest offset and the latest times until taken', () => {
    const progress = new ProgressAccumulator();
    const t1 = new Date('2026-01-01T00:00:01Z');
    const t2 = new Date('2026-01-01T00:00:02Z');
    progress.record(
      [{ partition: 0, nextOffset: 10n, forwarded: 10, skipped: 0, lastIngestTime: '2026-01-01T00:00:00Z' }],
      t1,
    );
    progress.record(
      [{ partition: 0, nextOffset: 8n, forwarded: 2, skipped: 1, lastIngestTime: undefined }],
      t2,
    );
    const taken = progress.take();
    expect(taken).toEqual([
      {
        partition: 0,
        nextOffset: 10n,
        forwarded: 12,
        skipped: 1,
        lastForwardedAt: t2,
        lastIngestTime: new Date('2026-01-01T00:00:00Z'),
      },
    ]);
    expect(progress.size).toBe(0);
    progress.restore(taken);
    expect(progress.take()).toEqual(taken);
  });
});

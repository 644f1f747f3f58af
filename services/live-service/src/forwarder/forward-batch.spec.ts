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
  it('hands the whole batch to NATS at once, in batch order', async () => {
    const calls: AssetEvent[][] = [];
    const batch = batchOf([0, 10, events('a', 3)], [1, 0, events('b', 2)]);
    const outcome = await forwardBatch(batch, async (sent) => {
      calls.push([...sent]);
      return sent.map(() => ({ ok: true }) as const);
    });
    expect(calls.map((c) => c.map((e) => `${e.assetId}${e.sequence}`))).toEqual([
      ['a0', 'a1', 'a2', 'b0', 'b1'],
    ]);
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
    await expect(
      forwardBatch(batch, () => Promise.reject(new BusError(BusErrorCode.Unavailable, 'nats down'))),
    ).rejects.toThrow('nats down');
  });

  it('rejects the batch when an event fails for a reason repeating could fix', async () => {
    const batch = batchOf([0, 0, events('a', 2)]);
    await expect(
      forwardBatch(batch, async () => [
        { ok: true },
        { ok: false, error: new BusError(BusErrorCode.Unavailable, 'refused for now') },
      ]),
    ).rejects.toThrow('refused for now');
  });

  it('refuses an answer that does not cover every event', async () => {
    const batch = batchOf([0, 0, events('a', 3)]);
    await expect(forwardBatch(batch, async () => [{ ok: true }])).rejects.toThrow(/1 outcomes for 3 events/);
  });

  it('skips, and reports, an event NATS can never carry instead of blocking its partition', async () => {
    const batch = batchOf([3, 5, events('a', 3)]);
    const outcome = await forwardBatch(batch, async (sent) =>
      sent.map((_, i) =>
        i === 1 ? { ok: false, error: new BusError(BusErrorCode.TooLarge, 'too large') } : { ok: true },
      ),
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
    const outcome = await forwardBatch(batch, async () => []);
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

import type { AssetEvent } from '@openfoundry/bus-registry';
import type { DataBatch, DataRecord } from '@openfoundry/event-bus-data';
import { describe, expect, it } from 'vitest';
import { assetEvent, positions, sinkRecords, type TestRecord } from '../../test/factories.ts';
import type { TenantCommit } from './asset-table-writer.ts';
import type { PartitionOffsets } from './offsets.ts';
import { SinkPipeline } from './sink-pipeline.ts';

/** A batch as the data bus hands it over, from sink records. */
function batch(records: TestRecord[], next?: Map<number, bigint>): DataBatch<AssetEvent> {
  const nextOffsets = next ?? new Map<number, bigint>();
  if (!next) for (const r of records) nextOffsets.set(r.partition, r.offset + 1n);
  return {
    records: records.map(
      (r) =>
        ({
          bus: 'data',
          source: 'connector.asset-events.v1',
          key: `${r.event.tenant}/${r.event.assetId}`,
          value: r.event,
          headers: {},
          attempt: 1,
          position: `${r.partition}:${r.offset}`,
          timestamp: new Date(0),
          partition: r.partition,
          offset: r.offset,
          size: r.size,
          bytes: Buffer.from(r.bytes),
        }) as unknown as DataRecord<AssetEvent>,
    ),
    nextOffsets,
  };
}

/** A pipeline over an in-memory "lake" that keeps what each tenant committed. */
function harness(options: { commitIntervalMs?: number; commitBytes?: number; bufferBytes?: number } = {}) {
  let clock = 0;
  const lake = new Map<string, { partition: number; offset: bigint }[]>();
  const kafka: PartitionOffsets[] = [];
  const logged: TenantCommit[] = [];
  let failNext = 0;
  const pipeline = new SinkPipeline(
    {
      commitTenant: async (tenant, staged) => {
        const records = positions(staged);
        if (failNext > 0) {
          failNext -= 1;
          throw new Error('catalog unavailable');
        }
        lake.set(tenant, [...(lake.get(tenant) ?? []), ...records]);
        return {
          tenant,
          table: { namespace: [tenant, 'telemetry'], name: 'asset_events' },
          snapshotId: BigInt(lake.size * 100 + records.length),
          records: records.length,
          duplicates: 0,
          bytes: staged.reduce((n, s) => n + s.bytes, 0),
          offsets: new Map(),
          attempts: 1,
          appendsSinceCompaction: 1,
        };
      },
      recordCommit: async (commit) => {
        logged.push(commit);
      },
      commitOffsets: async (offsets) => {
        kafka.push(new Map(offsets));
      },
      log: { info: () => undefined, warn: () => undefined },
      now: () => clock,
    },
    {
      commitIntervalMs: options.commitIntervalMs ?? 1000,
      commitBytes: options.commitBytes ?? 1_000_000,
      ...(options.bufferBytes === undefined ? {} : { bufferBytes: options.bufferBytes }),
    },
  );
  return {
    pipeline,
    lake,
    kafka,
    logged,
    advance: (ms: number) => {
      clock += ms;
    },
    failNextCommits: (n: number) => {
      failNext = n;
    },
  };
}

describe(SinkPipeline.name, () => {
  it('commits a tenant when its oldest record waited the interval, then tells Kafka', async () => {
    const h = harness({ commitIntervalMs: 1000 });
    await h.pipeline.handle(
      batch(sinkRecords(0, 0, [assetEvent('acme', 'a', 1), assetEvent('acme', 'a', 2)])),
    );
    await h.pipeline.tick();
    expect(h.lake.size).toBe(0);
    expect(h.kafka).toEqual([]);
    h.advance(1000);
    await h.pipeline.tick();
    expect(h.lake.get('acme')).toHaveLength(2);
    expect(h.kafka).toEqual([new Map([[0, 2n]])]);
    expect(h.logged).toHaveLength(1);
  });

  it('commits inside the handler as soon as a tenant’s buffer reaches the size', async () => {
    const records = sinkRecords(1, 0, [assetEvent('acme', 'a', 1), assetEvent('acme', 'a', 2)]);
    const h = harness({ commitBytes: (records[0]?.size ?? 0) + 1 });
    await h.pipeline.handle(batch(records.slice(0, 1)));
    expect(h.lake.size).toBe(0);
    await h.pipeline.handle(batch(records.slice(1)));
    expect(h.lake.get('acme')).toHaveLength(2);
    expect(h.kafka.at(-1)).toEqual(new Map([[1, 2n]]));
  });

  it('commits the largest buffers first when all of them together reach the budget', async () => {
    const big = sinkRecords(0, 0, [
      assetEvent('acme', 'a', 1),
      assetEvent('acme', 'a', 2),
      assetEvent('acme', 'a', 3),
    ]);
    const small = sinkRecords(1, 0, [assetEvent('globex', 'g', 1)]);
    const size = (records: { size: number }[]) => records.reduce((n, r) => n + r.size, 0);
    const h = harness({ bufferBytes: size(big) + size(small), commitIntervalMs: 60_000 });
    await h.pipeline.handle(batch(big));
    expect(h.lake.size).toBe(0);
    await h.pipeline.handle(batch(small));
    expect([...h.lake.keys()]).toEqual(['acme']);
    expect(h.pipeline.status().buffered.map((b) => b.tenant)).toEqual(['globex']);
  });

  it('commits to Kafka only the minimum over tenants sharing a partition', async () => {
    const h = harness({ commitIntervalMs: 1000 });
    await h.pipeline.handle(
      batch(
        sinkRecords(0, 10, [
          assetEvent('acme', 'a', 1),
          assetEvent('globex', 'g', 2),
          assetEvent('acme', 'a', 3),
        ]),
      ),
    );
    h.advance(500);
    await h.pipeline.handle(batch(sinkRecords(0, 13, [assetEvent('globex', 'g', 4)])));
    h.advance(500);
    await h.pipeline.tick(); // acme is due; globex's oldest (offset 11) is also due
    expect(h.kafka.at(-1)).toEqual(new Map([[0, 14n]]));
    const h2 = harness({ commitIntervalMs: 1000 });
    await h2.pipeline.handle(batch(sinkRecords(0, 10, [assetEvent('acme', 'a', 1)])));
    h2.advance(600);
    await h2.pipeline.handle(batch(sinkRecords(0, 11, [assetEvent('globex', 'g', 2)])));
    h2.advance(400);
    await h2.pipeline.tick(); // only acme is due: globex still holds offset 11
    expect(h2.kafka).toEqual([new Map([[0, 11n]])]);
    h2.advance(600);
    await h2.pipeline.tick();
    expect(h2.kafka.at(-1)).toEqual(new Map([[0, 12n]]));
  });

  it('keeps records buffered when a commit fails, rejects the batch, and commits them once on retry', async () => {
    const records = sinkRecords(2, 0, [assetEvent('acme', 'a', 1), assetEvent('acme', 'a', 2)]);
    const h = harness({ commitBytes: 1 });
    h.failNextCommits(1);
    await expect(h.pipeline.handle(batch(records))).rejects.toThrow('catalog unavailable');
    expect(h.kafka).toEqual([]);
    expect(h.pipeline.status().tenants.get('acme')?.lastError?.message).toBe('catalog unavailable');
    // The consumer hands the same batch over again.
    await h.pipeline.handle(batch(records));
    expect(h.lake.get('acme')?.map((r) => r.offset)).toEqual([0n, 1n]);
    expect(h.kafka).toEqual([new Map([[2, 2n]])]);
  });

  it('moves Kafka past a batch whose records were all dead-lettered or already buffered', async () => {
    const h = harness();
    await h.pipeline.handle(batch([], new Map([[4, 9n]])));
    expect(h.kafka).toEqual([new Map([[4, 9n]])]);
  });

  it('flushes every tenant on shutdown and commits the offsets', async () => {
    const h = harness({ commitIntervalMs: 60_000 });
    await h.pipeline.handle(
      batch([
        ...sinkRecords(0, 0, [assetEvent('acme', 'a', 1)]),
        ...sinkRecords(3, 0, [assetEvent('globex', 'g', 1)]),
      ]),
    );
    await h.pipeline.flush();
    expect([...h.lake.keys()].sort()).toEqual(['acme', 'globex']);
    expect(h.pipeline.status().committed).toEqual(
      new Map([
        [0, 1n],
        [3, 1n],
      ]),
    );
    expect(h.pipeline.status().buffered).toEqual([]);
  });
});

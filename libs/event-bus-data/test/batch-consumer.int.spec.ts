import { Consumer, Producer } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import type { DataBatch, DataRecord } from '../src/index.ts';
import { type DataFixture, dataFixture, type Reading, reading, sequenceReport, until } from './factories.ts';

const ADMIN = { mechanism: 'SCRAM-SHA-512' as const, username: 'admin', password: 'admin-secret' };

async function publishReadings(f: DataFixture, assets: number, perAsset: number) {
  const pub = (await f.bus(f.names.producer)).publisher(f.readings, { job: 'test.batches' });
  const records = [];
  for (let s = 0; s < perAsset; s++)
    for (let a = 0; a < assets; a++) records.push({ key: `asset-${a}`, value: reading(`asset-${a}`, s) });
  await pub.publishMany(records);
}

/** Bytes the publisher would refuse, written as the broker admin (a misbehaving producer). */
async function publishRaw(f: DataFixture, key: string, value: string) {
  const producer = new Producer({ clientId: 'raw-test', bootstrapBrokers: f.kafkaBrokers, sasl: ADMIN });
  try {
    await producer.send({
      messages: [{ topic: f.readings.name, key: Buffer.from(key), value: Buffer.from(value) }],
    });
  } finally {
    await producer.close();
  }
}

async function committed(f: DataFixture): Promise<Map<number, bigint>> {
  const admin = new Consumer({
    clientId: 'offset-check',
    groupId: f.group,
    bootstrapBrokers: f.kafkaBrokers,
    sasl: ADMIN,
  });
  try {
    const commits = await admin.listCommittedOffsets({
      topics: [{ topic: f.readings.name, partitions: [0, 1, 2] }],
    });
    const offsets = commits.get(f.readings.name) ?? [];
    return new Map(
      offsets.map((o, partition) => [partition, o] as [number, bigint]).filter(([, o]) => o >= 0n),
    );
  } finally {
    await admin.close(true);
  }
}

const sum = (m: Map<number, bigint>) => [...m.values()].reduce((a, b) => a + b, 0n);

describe('DataBus.consumeBatches', () => {
  it.each([
    ['the default fill wait', {}],
    ['no fill wait (maxWaitMs 0)', { maxWaitMs: 0 }],
  ])(
    'hands every record over once, in order per partition, in bounded batches, and commits after the handler (%s)',
    async (_name, wait) => {
      const f = await dataFixture();
      try {
        await publishReadings(f, 12, 100);
        const bus = await f.bus(f.names.consumer);
        const batches: DataBatch<Reading>[] = [];
        const consumer = await bus.consumeBatches(f.readings, {
          group: f.group,
          maxRecords: 250,
          ...wait,
          handler: async (batch) => {
            batches.push(batch);
          },
        });
        const count = () => batches.reduce((n, b) => n + b.records.length, 0);
        await until(() => count() >= 1200, 30_000, '1,200 records');
        // Lag for operators: the ends of the topic's three partitions hold all 1,200 records.
        const ends = await consumer.endOffsets();
        expect([...ends.keys()]).toEqual([0, 1, 2]);
        expect(sum(ends)).toBe(1200n);
        await consumer.close();
        const records = batches.flatMap((b) => b.records);
        expect(
          sequenceReport(
            records.map((r) => r.value),
            12,
            100,
          ),
        ).toEqual({
          lost: 0,
          duplicated: 0,
          reordered: 0,
          total: 1200,
        });
        expect(Math.max(...batches.map((b) => b.records.length))).toBeLessThanOrEqual(250);
        // Offsets are consecutive per partition and nextOffsets points after each batch's last one.
        for (const batch of batches) {
          for (const [partition, next] of batch.nextOffsets) {
            const last = batch.records.filter((r) => r.partition === partition).at(-1) as DataRecord<Reading>;
            expect(last.offset + 1n).toBe(next);
          }
        }
        expect(records[0]?.lineage?.jobName).toBe('test.batches');
        expect(sum(await committed(f))).toBe(1200n);
        expect(consumer.stats).toMatchObject({ records: 1200, deadLettered: 0 });
      } finally {
        await f.teardown();
      }
    },
  );

  it('dead-letters undecodable and invalid records before the handler and still covers their offsets', async () => {
    const f = await dataFixture({ partitions: 1 });
    try {
      await publishReadings(f, 1, 2);
      await publishRaw(f, 'asset-0', '{not json');
      await publishRaw(f, 'asset-0', JSON.stringify({ asset: 'asset-0', seq: -5, value: 1 }));
      await publishReadings(f, 1, 1);
      const bus = await f.bus(f.names.consumer);
      const seen: Reading[] = [];
      const consumer = await bus.consumeBatches(f.readings, {
        group: f.group,
        handler: async (batch) => {
          seen.push(...batch.records.map((r) => r.value));
        },
      });
      await until(() => seen.length >= 3 && consumer.stats.deadLettered >= 2, 30_000, 'three good records');
      await consumer.close();
      expect(seen.map((r) => r.seq)).toEqual([0, 1, 0]);
      expect(consumer.stats.deadLettered).toBe(2);
      expect((await committed(f)).get(0)).toBe(5n);
    } finally {
      await f.teardown();
    }
  });

  it('retries a failing handler with the same batch and never commits past it', async () => {
    const f = await dataFixture({ partitions: 1 });
    try {
      await publishReadings(f, 1, 5);
      const bus = await f.bus(f.names.consumer);
      const attempts: number[][] = [];
      let failures = 0;
      const consumer = await bus.consumeBatches(f.readings, {
        group: f.group,
        maxWaitMs: 300,
        handler: async (batch) => {
          attempts.push(batch.records.map((r) => r.value.seq));
          if (failures++ < 2) throw new Error('the database is away');
          expect(batch.records.every((r) => r.attempt === 3)).toBe(true);
        },
      });
      await until(() => consumer.stats.batches >= 1, 30_000, 'the batch to succeed');
      await consumer.close();
      expect(attempts.length).toBe(3);
      expect(attempts[0]).toEqual(attempts[2]);
      expect(consumer.stats.retried).toBe(2);
      expect((await committed(f)).get(0)).toBe(5n);
    } finally {
      await f.teardown();
    }
  });

  it('in manual mode commits only what the service commits, and "earliest" replays from the start', async () => {
    const f = await dataFixture({ partitions: 1 });
    try {
      await publishReadings(f, 1, 10);
      const bus = await f.bus(f.names.consumer);
      let held: DataBatch<Reading> | undefined;
      let seen = 0;
      const first = await bus.consumeBatches(f.readings, {
        group: f.group,
        commit: 'manual',
        handler: async (batch) => {
          seen += batch.records.length;
          held ??= batch;
        },
      });
      await until(() => seen >= 10, 30_000, 'ten records');
      expect((await committed(f)).size).toBe(0);
      const partial = new Map([[0, 4n]]);
      await first.commit(partial);
      await first.close();
      expect((await committed(f)).get(0)).toBe(4n);

      // A new member resumes from the service's commit, not from what it was handed.
      const resumed: number[] = [];
      const second = await bus.consumeBatches(f.readings, {
        group: f.group,
        handler: async (batch) => {
          resumed.push(...batch.records.map((r) => r.value.seq));
        },
      });
      await until(() => resumed.length >= 6, 30_000, 'the six uncommitted records');
      await second.close();
      expect(resumed).toEqual([4, 5, 6, 7, 8, 9]);

      const replayed: number[] = [];
      const third = await bus.consumeBatches(f.readings, {
        group: f.group,
        start: 'earliest',
        handler: async (batch) => {
          replayed.push(...batch.records.map((r) => r.value.seq));
        },
      });
      await until(() => replayed.length >= 10, 30_000, 'the whole partition again');
      await third.close();
      expect(replayed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(held?.nextOffsets.get(0)).toBeGreaterThan(0n);
    } finally {
      await f.teardown();
    }
  });

  describe("with the topic's repeat rule (repeats: skip)", () => {
    const WINDOW = 5;
    const id = (n: number) => `01890000-0000-7000-8000-${String(n).padStart(12, '0')}`;
    /** One reading per entry, in order, on the one partition; `null` carries no id. */
    async function publishIds(f: DataFixture, ids: readonly (number | null)[], first: number) {
      const pub = (await f.bus(f.names.producer)).publisher(f.readings, { job: 'test.repeats' });
      await pub.publishMany(
        ids.map((n, i) => ({
          key: 'asset-0',
          value: { ...reading('asset-0', first + i), ...(n === null ? {} : { id: id(n) }) },
        })),
      );
    }

    it('skips a record whose id is among the window before it, and a new member rebuilds that window from the partition', async () => {
      const f = await dataFixture({ partitions: 1, repeats: { idField: 'id', window: WINDOW } });
      try {
        // offset: 0:A 1:B 2:C 3:A(repeat) 4:D 5:E 6:F 7:G 8:H 9:A(outside the window) 10:H(repeat) 11,12: no id
        await publishIds(f, [1, 2, 3, 1, 4, 5, 6, 7, 8, 1, 8, null, null], 0);
        // 13: a record that fails validation (dead-lettered, in the window without an id), 14:I 15:I(repeat)
        await publishRaw(f, 'asset-0', JSON.stringify({ asset: 'asset-0', seq: -1, value: 1, id: id(9) }));
        await publishIds(f, [9, 9], 14);
        const bus = await f.bus(f.names.consumer);
        const seen: number[] = [];
        const first = await bus.consumeBatches(f.readings, {
          group: f.group,
          repeats: 'skip',
          handler: async (batch) => {
            seen.push(...batch.records.map((r) => Number(r.offset)));
          },
        });
        await until(() => (seen.at(-1) ?? -1) >= 14 && first.stats.deadLettered === 1, 30_000, 'offset 14');
        await until(
          async () => (await committed(f)).get(0) === 16n,
          30_000,
          'a commit past the repeat at 15',
        );
        await first.close();
        expect(seen).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9, 11, 12, 14]);
        expect(first.stats).toMatchObject({ repeats: 3, deadLettered: 1, records: 12 });

        // 16:I repeats 14 and 15 (only a window rebuilt from offsets 11..15 knows), 17:J 18:J(repeat) 19:A
        await publishIds(f, [9, 10, 10, 1], 16);
        const resumed: number[] = [];
        const second = await bus.consumeBatches(f.readings, {
          group: f.group,
          repeats: 'skip',
          handler: async (batch) => {
            resumed.push(...batch.records.map((r) => Number(r.offset)));
          },
        });
        await until(() => (resumed.at(-1) ?? -1) >= 19, 30_000, 'offset 19');
        await second.close();
        expect(resumed).toEqual([17, 19]);
        expect(second.stats.repeats).toBe(2);

        // Without the rule every record is delivered: the repeats are on the log, nothing dropped them.
        const all: number[] = [];
        const third = await bus.consumeBatches(f.readings, {
          group: f.group,
          start: 'earliest',
          handler: async (batch) => {
            all.push(...batch.records.map((r) => Number(r.offset)));
          },
        });
        await until(() => all.length >= 19, 30_000, 'the whole partition');
        await third.close();
        expect(all).toEqual([...Array(20).keys()].filter((o) => o !== 13));
      } finally {
        await f.teardown();
      }
    });

    it('hands a manual committer an empty batch for repeats and dead letters, and commits nothing itself', async () => {
      const f = await dataFixture({ partitions: 1, repeats: { idField: 'id', window: WINDOW } });
      try {
        await publishIds(f, [1, 2], 0);
        const bus = await f.bus(f.names.consumer);
        const batches: DataBatch<Reading>[] = [];
        const consumer = await bus.consumeBatches(f.readings, {
          group: f.group,
          commit: 'manual',
          repeats: 'skip',
          maxWaitMs: 0,
          handler: async (batch) => {
            batches.push(batch);
          },
        });
        await until(() => batches.some((b) => b.nextOffsets.get(0) === 2n), 30_000, 'the first two');
        // Only a repeat and a dead letter follow.
        await publishIds(f, [1], 2);
        await publishRaw(f, 'asset-0', '{not json');
        await until(() => batches.some((b) => b.nextOffsets.get(0) === 4n), 30_000, 'the empty batch');
        await consumer.close();
        const last = batches.find((b) => b.nextOffsets.get(0) === 4n);
        expect(last?.records).toEqual([]);
        expect(consumer.stats).toMatchObject({ repeats: 1, deadLettered: 1 });
        expect((await committed(f)).size).toBe(0);
      } finally {
        await f.teardown();
      }
    });
  });
});

import { describe, expect, it } from 'vitest';
import { assetEvent, sinkRecords } from '../../test/factories.ts';
import { StagedEvents } from './staged-events.ts';

const lineOf = (partition: number, offset: bigint, bytes: Uint8Array) =>
  `{"p":${partition},"o":${offset},"e":${Buffer.from(bytes).toString('utf8')}}\n`;

describe(StagedEvents.name, () => {
  // Partition 1: offsets 10..13; partition 2: offsets 5..7, interleaved as a fetch hands them over.
  const p1 = sinkRecords(
    1,
    10,
    [1, 2, 3, 4].map((n) => assetEvent('acme', 'a', n)),
  );
  const p2 = sinkRecords(
    2,
    5,
    [5, 6, 7].map((n) => assetEvent('acme', 'b', n)),
  );
  const records = [p1[0], p2[0], p1[1], p1[2], p2[1], p2[2], p1[3]].filter((r) => r !== undefined);
  const staged = StagedEvents.of(records);

  it('stages one line per record, the value as it arrived, with its partition, offset and size beside it', () => {
    expect(staged.lines.toString('utf8')).toBe(
      records.map((r) => lineOf(r.partition, r.offset, r.bytes)).join(''),
    );
    expect(staged.count).toBe(7);
    expect(Array.from(staged.partitions)).toEqual(records.map((r) => r.partition));
    expect(Array.from(staged.offsets)).toEqual(records.map((r) => r.offset));
    expect(staged.bytes).toBe(records.reduce((n, r) => n + r.size, 0));
    expect(staged.firstOffsets).toEqual(
      new Map([
        [1, 10n],
        [2, 5n],
      ]),
    );
  });

  it('selects everything for a table that holds none of it', () => {
    const all = staged.from(new Map([[1, 3n]]));
    expect(Buffer.concat(all.lines)).toEqual(staged.lines);
    expect(all).toMatchObject({
      records: 7,
      bytes: staged.bytes,
      next: new Map([
        [1, 14n],
        [2, 8n],
      ]),
    });
  });

  it('leaves out, line by line, the records a table already holds', () => {
    // The table holds partition 1 below 12 and partition 2 below 7: p1 10, 11 and p2 5, 6 go.
    const fresh = staged.from(
      new Map([
        [1, 12n],
        [2, 7n],
      ]),
    );
    const kept = records.filter((r) => r.offset >= (r.partition === 1 ? 12n : 7n));
    expect(Buffer.concat(fresh.lines).toString('utf8')).toBe(
      kept.map((r) => lineOf(r.partition, r.offset, r.bytes)).join(''),
    );
    expect(fresh.records).toBe(3);
    expect(fresh.bytes).toBe(kept.reduce((n, r) => n + r.size, 0));
    expect(fresh.next).toEqual(
      new Map([
        [1, 14n],
        [2, 8n],
      ]),
    );
    // Every line is whole JSON: the cuts fall between lines.
    for (const line of Buffer.concat(fresh.lines).toString('utf8').trimEnd().split('\n'))
      expect(() => JSON.parse(line)).not.toThrow();
  });

  it('selects nothing when the table holds it all', () => {
    expect(
      staged.from(
        new Map([
          [1, 14n],
          [2, 8n],
        ]),
      ),
    ).toEqual({ lines: [], records: 0, bytes: 0, next: new Map() });
  });

  it('stages an empty batch as nothing', () => {
    const empty = StagedEvents.of([]);
    expect(empty.count).toBe(0);
    expect(empty.lines.length).toBe(0);
    expect(empty.from(new Map())).toEqual({ lines: [], records: 0, bytes: 0, next: new Map() });
  });
});

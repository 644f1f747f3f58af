import { describe, expect, it } from 'vitest';
import { assetEvent, positions, sinkRecords } from '../../test/factories.ts';
import { SinkBuffer } from './sink-buffer.ts';

const acme = 'acme';
const globex = 'globex';

describe(SinkBuffer.name, () => {
  describe('add', () => {
    it('buffers records per tenant and counts their bytes', () => {
      const buffer = new SinkBuffer();
      const records = [
        ...sinkRecords(0, 0, [assetEvent(acme, 'a', 1), assetEvent(globex, 'g', 2)]),
        ...sinkRecords(1, 5, [assetEvent(acme, 'b', 3)]),
      ];
      const size = (i: number) => records[i]?.size ?? 0;
      expect(
        buffer.add(
          records,
          new Map([
            [0, 2n],
            [1, 6n],
          ]),
          1000,
        ),
      ).toBe(3);
      expect(positions(buffer.staged(acme)).map((r) => r.offset)).toEqual([0n, 5n]);
      expect(buffer.buffered()).toEqual([
        { tenant: acme, records: 2, bytes: size(0) + size(2), since: new Date(1000) },
        { tenant: globex, records: 1, bytes: size(1), since: new Date(1000) },
      ]);
    });

    it('skips records below what was already read: a redelivered batch is not buffered twice', () => {
      const buffer = new SinkBuffer();
      const records = sinkRecords(0, 0, [assetEvent(acme, 'a', 1), assetEvent(acme, 'a', 2)]);
      buffer.add(records, new Map([[0, 2n]]));
      expect(buffer.add(records, new Map([[0, 2n]]))).toBe(0);
      expect(positions(buffer.staged(acme))).toHaveLength(2);
    });
  });

  describe('durableOffsets', () => {
    it('holds each partition at its oldest record still buffered for any tenant', () => {
      const buffer = new SinkBuffer();
      buffer.add(
        sinkRecords(0, 10, [assetEvent(acme, 'a', 1), assetEvent(globex, 'g', 2), assetEvent(acme, 'a', 3)]),
        new Map([[0, 14n]]), // offset 13 was dead-lettered: still read
      );
      expect(buffer.durableOffsets()).toEqual(new Map([[0, 10n]]));
      buffer.release(acme, 1); // acme's one staged batch: offsets 10 and 12
      expect(buffer.durableOffsets()).toEqual(new Map([[0, 11n]]));
      buffer.release(globex, 1);
      expect(buffer.durableOffsets()).toEqual(new Map([[0, 14n]]));
      expect(buffer.buffered()).toEqual([]);
    });

    it('moves a partition without buffered records to what was read', () => {
      const buffer = new SinkBuffer();
      buffer.add(
        sinkRecords(2, 0, [assetEvent(acme, 'a', 1)]),
        new Map([
          [2, 1n],
          [3, 40n],
        ]),
      );
      expect(buffer.durableOffsets()).toEqual(
        new Map([
          [2, 0n],
          [3, 40n],
        ]),
      );
    });
  });

  describe('triggers', () => {
    it('names tenants whose buffer is full or whose oldest record waited the interval', () => {
      const buffer = new SinkBuffer();
      buffer.add(sinkRecords(0, 0, [assetEvent(acme, 'a', 1)]), new Map([[0, 1n]]), 1000);
      buffer.add(
        sinkRecords(0, 1, [assetEvent(globex, 'g', 2), assetEvent(globex, 'g', 3)]),
        new Map([[0, 3n]]),
        5000,
      );
      const globexBytes = buffer.buffered().find((b) => b.tenant === globex)?.bytes ?? 0;
      expect(buffer.full(globexBytes)).toEqual([globex]);
      expect(buffer.due(4000, 5000)).toEqual([acme]);
      expect(buffer.due(4000, 9000)).toEqual([acme, globex]);
    });

    it('restarts the clock of records left behind by a partial release', () => {
      const buffer = new SinkBuffer();
      buffer.add(sinkRecords(0, 0, [assetEvent(acme, 'a', 1)]), new Map([[0, 1n]]), 0);
      buffer.add(sinkRecords(0, 1, [assetEvent(acme, 'a', 2)]), new Map([[0, 2n]]), 10);
      expect(buffer.staged(acme)).toHaveLength(2);
      buffer.release(acme, 1, 7000);
      expect(buffer.buffered()).toMatchObject([{ tenant: acme, records: 1 }]);
      expect(buffer.due(1000, 7500)).toEqual([]);
      expect(buffer.due(1000, 8000)).toEqual([acme]);
    });
  });
});

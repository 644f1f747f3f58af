import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { crc32c, createRecordsBatch, NumericMap, Reader, readRecordsBatches } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import {
  decodeRecordBatches,
  encodeRecordBatch,
  type FetchedRecord,
  RecordBatchError,
  type RecordToWrite,
  zstdContentSize,
} from './record-batches.ts';

interface Input {
  key: Buffer | null;
  value: Buffer | null;
  headers: Map<Buffer, Buffer>;
  timestamp: bigint;
}

/** A batch as the client's producer encodes it, placed at `firstOffset`. */
function batch(inputs: Input[], firstOffset: bigint, options: { compression?: 'gzip' } = {}): Buffer {
  const messages = inputs.map((m) => ({ topic: 't', ...m }));
  const bytes = Buffer.from(
    createRecordsBatch(messages as never, { producerId: 7n, ...options }).buffer as Buffer,
  );
  bytes.writeBigInt64BE(firstOffset, 0);
  return bytes;
}

const T0 = 1_795_000_000_000n;
const input = (i: number, extra: Partial<Input> = {}): Input => ({
  key: Buffer.from(`acme/asset-${i % 3}`),
  value: Buffer.from(JSON.stringify({ n: i, text: 'é'.repeat(i % 4) })),
  headers: new Map([[Buffer.from('ol'), Buffer.from(`{"eventTime":"${i}"}`)]]),
  timestamp: T0 + BigInt(i * 7),
  ...extra,
});

function decode(bytes: Buffer, from: bigint) {
  const records: FetchedRecord[] = [];
  const { next } = decodeRecordBatches(bytes, 4, from, (r) => records.push(r));
  return { records, next };
}

/** What the client's own reader makes of the same bytes, in the same shape. */
function reference(bytes: Buffer, from: bigint) {
  return readRecordsBatches(Reader.from(bytes)).flatMap((b) =>
    b.records
      .map((r) => ({
        offset: b.firstOffset + BigInt(r.offsetDelta),
        key: r.key ?? null,
        value: r.value ?? null,
        timestamp: b.firstTimestamp + BigInt(r.timestampDelta),
        headers: r.headers.map(([k, v]) => [k, v]),
      }))
      .filter((r) => r.offset >= from),
  );
}

const shape = (records: FetchedRecord[]) =>
  records.map((r) => ({
    offset: r.offset,
    key: r.key,
    value: r.value,
    timestamp: r.timestamp,
    headers: r.headers.map(([k, v]) => [k, v]),
  }));

describe(decodeRecordBatches.name, () => {
  it('reads what the client reads: offsets, keys, values, timestamps and headers', () => {
    const bytes = Buffer.concat([
      batch(
        Array.from({ length: 5 }, (_, i) => input(i)),
        100n,
      ),
      batch([input(5, { key: null }), input(6, { value: null }), input(7, { headers: new Map() })], 105n),
    ]);
    const { records, next } = decode(bytes, 100n);
    expect(records).toHaveLength(8);
    expect(shape(records)).toEqual(reference(bytes, 100n));
    expect(records.every((r) => r.partition === 4)).toBe(true);
    expect(records[5]?.key).toBeNull();
    expect(records[6]?.value).toBeNull();
    expect(records[7]?.headers).toEqual([]);
    expect(next).toBe(108n);
  });

  it('skips the records before where the fetch started, inside a batch and whole batches', () => {
    const bytes = Buffer.concat([
      batch([input(0), input(1)], 10n),
      batch([input(2), input(3), input(4)], 12n),
    ]);
    const { records, next } = decode(bytes, 13n);
    expect(records.map((r) => r.offset)).toEqual([13n, 14n]);
    expect(shape(records)).toEqual(reference(bytes, 13n));
    expect(next).toBe(15n);
  });

  it('leaves a batch cut off by the fetch size for the next fetch', () => {
    const whole = batch([input(0), input(1)], 20n);
    const cut = batch([input(2), input(3)], 22n);
    const { records, next } = decode(Buffer.concat([whole, cut.subarray(0, cut.length - 5)]), 20n);
    expect(records.map((r) => r.offset)).toEqual([20n, 21n]);
    expect(next).toBe(22n);
    expect(decode(Buffer.alloc(0), 7n)).toEqual({ records: [], next: 7n });
  });

  it('reads compressed batches', () => {
    const bytes = batch(
      Array.from({ length: 20 }, (_, i) => input(i)),
      300n,
      { compression: 'gzip' },
    );
    expect(bytes.readInt16BE(21) & 0x07).not.toBe(0);
    const { records, next } = decode(bytes, 300n);
    expect(shape(records)).toEqual(reference(bytes, 300n));
    expect(next).toBe(320n);
  });

  it('steps over control batches (transaction markers) without handing them over', () => {
    const control = batch([input(0)], 50n);
    control.writeInt16BE(control.readInt16BE(21) | 0x20, 21);
    const { records, next } = decode(Buffer.concat([control, batch([input(1)], 51n)]), 50n);
    expect(records.map((r) => r.offset)).toEqual([51n]);
    expect(next).toBe(52n);
  });

  it('refuses bytes that are not a magic-2 record batch', () => {
    const bytes = batch([input(0)], 0n);
    bytes.writeInt8(1, 16);
    expect(() => decode(bytes, 0n)).toThrow(RecordBatchError);
  });
});

describe(encodeRecordBatch.name, () => {
  const writer = { producerId: 4_100_000_123n, producerEpoch: 3, baseSequence: 2_000 };
  const toWrite = (i: number, extra: Partial<RecordToWrite> = {}): RecordToWrite => ({
    key: Buffer.from(`acme/asset-${i % 3}`),
    value: Buffer.from(JSON.stringify({ n: i, text: 'é'.repeat(i % 4) })),
    headers: new Map([[Buffer.from('ol'), Buffer.from(`{"eventTime":"${i}"}`)]]),
    timestamp: Number(T0) + i * 7,
    ...extra,
  });

  /** The same records as the client's producer writes them, with the same producer fields. */
  function clientBatch(records: RecordToWrite[]): Buffer {
    const messages = records.map((r) => ({ ...r, topic: 't', partition: 0, timestamp: BigInt(r.timestamp) }));
    const sequences = new NumericMap();
    sequences.set('t:0', writer.baseSequence);
    const bytes = Buffer.from(
      createRecordsBatch(messages as never, {
        producerId: writer.producerId,
        producerEpoch: writer.producerEpoch,
        sequences,
      }).buffer as Buffer,
    );
    // The client leaves the partition leader epoch at 0; a producer sends -1 (unknown). It is not
    // covered by the checksum.
    bytes.writeInt32BE(-1, 12);
    return bytes;
  }

  it('writes byte for byte what the client writes for the same records and producer', () => {
    const records = [
      ...Array.from({ length: 40 }, (_, i) => toWrite(i)),
      toWrite(40, { headers: new Map() }),
      toWrite(41, {
        headers: new Map([
          [Buffer.from('a'), Buffer.from('1')],
          [Buffer.from('ol'), Buffer.from('x'.repeat(300))],
        ]),
      }),
      // Bodies whose length needs two and three varint bytes.
      toWrite(42, { value: Buffer.alloc(200, 0x41) }),
      toWrite(43, { value: Buffer.alloc(20_000, 0x42) }),
    ];
    expect(encodeRecordBatch(records, writer).equals(clientBatch(records))).toBe(true);
  });

  it('writes timestamps earlier than the first record and ones far from it', () => {
    const earlier = [toWrite(0), toWrite(1, { timestamp: Number(T0) - 86_400_000 })]; // a day before
    expect(encodeRecordBatch(earlier, writer).equals(clientBatch(earlier))).toBe(true);
    // Deltas beyond 32 bits (a backfill mixed with live data): the client's writer wraps them, so
    // both readers are the reference here.
    const records = [
      ...earlier,
      toWrite(2, { timestamp: Number(T0) + 2 ** 33 }),
      toWrite(3, { timestamp: 0 }),
    ];
    const bytes = encodeRecordBatch(records, writer);
    const decoded = decode(bytes, 0n).records;
    expect(decoded.map((r) => r.timestamp)).toEqual(records.map((r) => BigInt(r.timestamp)));
    expect(reference(bytes, 0n).map((r) => r.timestamp)).toEqual(records.map((r) => BigInt(r.timestamp)));
    // The batch's max timestamp is the largest, not the last.
    expect(bytes.readBigInt64BE(35)).toBe(T0 + 2n ** 33n);
  });

  it('reads back through both readers with its producer fields and a valid checksum', () => {
    const records = Array.from({ length: 5 }, (_, i) => toWrite(i));
    const bytes = encodeRecordBatch(records, writer);
    expect(bytes.readUInt32BE(17)).toBe(crc32c(bytes.subarray(21)) >>> 0);
    const [read] = readRecordsBatches(Reader.from(bytes));
    expect(read).toMatchObject({
      magic: 2,
      lastOffsetDelta: 4,
      producerId: writer.producerId,
      producerEpoch: writer.producerEpoch,
      firstSequence: writer.baseSequence,
    });
    expect(shape(decode(bytes, 0n).records)).toEqual(reference(bytes, 0n));
    expect(decode(bytes, 0n).records.map((r) => r.value?.toString())).toEqual(
      records.map((r) => r.value.toString()),
    );
  });

  it('writes a zstd batch that both readers read back, far smaller', () => {
    const records = Array.from({ length: 200 }, (_, i) => toWrite(i));
    const plain = encodeRecordBatch(records, writer);
    const bytes = encodeRecordBatch(records, writer, { compression: 'zstd' });
    expect(bytes.readInt16BE(21) & 0x07).toBe(4);
    expect(bytes.length).toBeLessThan(plain.length / 4);
    expect(bytes.readUInt32BE(17)).toBe(crc32c(bytes.subarray(21)) >>> 0);
    expect(bytes.readInt32BE(8)).toBe(bytes.length - 12);
    // Everything but the codec, length and checksum is as in the plain batch.
    expect(bytes.subarray(23, 61).equals(plain.subarray(23, 61))).toBe(true);
    expect(shape(decode(bytes, 0n).records)).toEqual(shape(decode(plain, 0n).records));
    expect(shape(decode(bytes, 0n).records)).toEqual(reference(bytes, 0n));
  });

  it('reads a zstd batch whose frame does not say its size (a streaming writer)', () => {
    const records = Array.from({ length: 50 }, (_, i) => toWrite(i));
    const sized = encodeRecordBatch(records, writer, { compression: 'zstd' });
    const plain = encodeRecordBatch(records, writer);
    // The same records compressed without a declared size, as a streaming compressor writes them.
    const unsized = zstdCompressSync(plain.subarray(61), {
      params: { [constants.ZSTD_c_contentSizeFlag]: 0 },
    });
    expect(zstdContentSize(unsized)).toBeUndefined();
    const bytes = Buffer.concat([sized.subarray(0, 61), unsized]);
    bytes.writeInt32BE(bytes.length - 12, 8);
    expect(shape(decode(bytes, 0n).records)).toEqual(shape(decode(plain, 0n).records));
  });

  it('reads the size a zstd frame declares, in each of its field widths', () => {
    // 1 byte (single segment, < 256), 2 bytes (256 + n), 4 bytes; each checked against the output.
    const widths = new Set<number>();
    for (const size of [1, 200, 255, 256, 5_000, 65_791, 65_792, 300_000]) {
      const data = Buffer.alloc(size, 'a');
      const frame = zstdCompressSync(data);
      widths.add((frame[4] as number) >>> 6);
      expect(zstdContentSize(frame)).toBe(size);
      expect(zstdDecompressSync(frame).length).toBe(size);
    }
    expect([...widths].sort()).toEqual([0, 1, 2]);
    expect(zstdContentSize(Buffer.from('not a zstd frame'))).toBeUndefined();
    expect(zstdContentSize(Buffer.alloc(3))).toBeUndefined();
  });

  it('refuses an empty batch', () => {
    expect(() => encodeRecordBatch([], writer)).toThrow(RecordBatchError);
  });
});

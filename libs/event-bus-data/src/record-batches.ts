import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { compressionsAlgorithmsByBitmask, crc32c } from '@platformatic/kafka';

// Kafka's record batch format (magic 2). Read straight from the bytes of a fetch response
// (ADR 0026): one object per record, its key and value slices of those bytes, its headers read
// only when asked for. Written in one buffer for a produce request (ADR 0027).

/** Where the fields of a batch header sit, from the batch's start. */
const BATCH = {
  length: 8,
  leaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  firstTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  count: 57,
  records: 61,
} as const;
const COMPRESSION = 0x07;
/** Kafka's codec number for zstd in a batch's attributes. */
const ZSTD = 4;
/** zstd's fastest level: asset events still shrink about 13-fold (ADR 0029). */
const ZSTD_LEVEL = 1;
const CONTROL = 0x20;
const NO_HEADERS: readonly [Buffer, Buffer][] = [];

/** A record as a consumer receives it: the shape batch consumers read (`RawRecord`). */
export class FetchedRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly #firstTimestamp: bigint;
  readonly #timestampDelta: number;
  /** The bytes holding the headers, from their count on (undefined: none). */
  readonly #source: Buffer | undefined;
  readonly #headersAt: number;

  constructor(
    partition: number,
    offset: bigint,
    key: Buffer | null,
    value: Buffer | null,
    firstTimestamp: bigint,
    timestampDelta: number,
    source: Buffer | undefined,
    headersAt: number,
  ) {
    this.partition = partition;
    this.offset = offset;
    this.key = key;
    this.value = value;
    this.#firstTimestamp = firstTimestamp;
    this.#timestampDelta = timestampDelta;
    this.#source = source;
    this.#headersAt = headersAt;
  }

  /** The record's timestamp, epoch milliseconds. */
  get timestamp(): bigint {
    return this.#firstTimestamp + BigInt(this.#timestampDelta);
  }

  /** Header keys and values as they were written (a null value reads as empty). */
  get headers(): readonly [Buffer, Buffer][] {
    if (!this.#source) return NO_HEADERS;
    const cursor = { at: this.#headersAt };
    const count = readVarint(this.#source, cursor);
    const headers: [Buffer, Buffer][] = [];
    for (let i = 0; i < count; i++) {
      const key = readBytes(this.#source, cursor) ?? EMPTY;
      headers.push([key, readBytes(this.#source, cursor) ?? EMPTY]);
    }
    return headers;
  }
}

const EMPTY = Buffer.alloc(0);

interface Cursor {
  at: number;
}

/** A zigzag varint (varint or varlong) as a number; exact up to 2^53. */
function readVarint(bytes: Buffer, cursor: Cursor): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[cursor.at++];
    if (byte === undefined) throw new RecordBatchError('a varint runs past the end of its batch');
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) break;
    scale *= 128;
    if (scale > 2 ** 63) throw new RecordBatchError('a varint longer than 10 bytes');
  }
  // Zigzag: even values are positive, odd ones negative.
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

function readBytes(bytes: Buffer, cursor: Cursor): Buffer | null {
  const length = readVarint(bytes, cursor);
  if (length < 0) return null;
  const start = cursor.at;
  cursor.at += length;
  if (cursor.at > bytes.length) throw new RecordBatchError('a record field runs past the end of its batch');
  return bytes.subarray(start, cursor.at);
}

export class RecordBatchError extends Error {
  override name = 'RecordBatchError';
}

export interface DecodedBatches {
  /** The offset after the last complete batch read (where the next fetch starts); `from` if none. */
  next: bigint;
}

/**
 * Hands `take` every data record at or after `from` in `bytes` (one partition's record set from a
 * fetch response), in offset order. Control batches (transaction markers) are stepped over; a
 * batch cut off at the end (a fetch's size limit) is left for the next fetch.
 */
export function decodeRecordBatches(
  bytes: Buffer,
  partition: number,
  from: bigint,
  take: (record: FetchedRecord) => void,
): DecodedBatches {
  let next = from;
  let at = 0;
  while (at + BATCH.records <= bytes.length) {
    const firstOffset = bytes.readBigInt64BE(at);
    const end = at + 12 + bytes.readInt32BE(at + BATCH.length);
    if (end > bytes.length) break;
    const magic = bytes.readInt8(at + BATCH.magic);
    if (magic !== 2)
      throw new RecordBatchError(`record batch at offset ${firstOffset} has magic ${magic}, not 2`);
    const attributes = bytes.readInt16BE(at + BATCH.attributes);
    const last = firstOffset + BigInt(bytes.readInt32BE(at + BATCH.lastOffsetDelta));
    if (last >= next && (attributes & CONTROL) === 0) {
      const firstTimestamp = bytes.readBigInt64BE(at + BATCH.firstTimestamp);
      const count = bytes.readInt32BE(at + BATCH.count);
      let records = bytes;
      const cursor = { at: at + BATCH.records };
      const compression = attributes & COMPRESSION;
      if (compression !== 0) {
        records = decompress(compression, bytes.subarray(at + BATCH.records, end));
        cursor.at = 0;
      }
      for (let i = 0; i < count; i++) {
        const length = readVarint(records, cursor);
        const recordEnd = cursor.at + length;
        cursor.at += 1; // attributes: unused
        const timestampDelta = readVarint(records, cursor);
        const offset = firstOffset + BigInt(readVarint(records, cursor));
        const key = readBytes(records, cursor);
        const value = readBytes(records, cursor);
        const headersAt = cursor.at;
        const hasHeaders = records[headersAt] !== 0;
        cursor.at = recordEnd;
        if (offset < from) continue;
        take(
          new FetchedRecord(
            partition,
            offset,
            key,
            value,
            firstTimestamp,
            timestampDelta,
            hasHeaders ? records : undefined,
            headersAt,
          ),
        );
      }
    }
    if (last + 1n > next) next = last + 1n;
    at = end;
  }
  return { next };
}

/** Decompresses a batch's records with the codec its attributes name. */
function decompress(codec: number, compressed: Buffer): Buffer {
  if (codec === ZSTD) {
    // Output in one piece when the frame says how big it is (ours do): no growing in 16 KiB chunks
    // and joining them, about a third of the time for a batch of asset events.
    const size = zstdContentSize(compressed);
    return size !== undefined && size > 0 && size <= MAX_SIZED_OUTPUT
      ? zstdDecompressSync(compressed, { chunkSize: Math.max(size, 64) })
      : zstdDecompressSync(compressed);
  }
  const algorithm = compressionsAlgorithmsByBitmask[codec];
  if (!algorithm) throw new RecordBatchError(`record batch compressed with unknown codec ${codec}`);
  return toBuffer(algorithm.decompressSync(compressed));
}

/** The largest declared size trusted for a one-piece output buffer; a larger frame grows as it goes. */
const MAX_SIZED_OUTPUT = 64 * 1024 * 1024;
const ZSTD_MAGIC = 0xfd2fb528;

/**
 * The uncompressed size a zstd frame declares in its header (RFC 8878, 3.1.1.1), or undefined
 * when it declares none (a streaming writer's frame) or the bytes are not a zstd frame.
 */
export function zstdContentSize(frame: Buffer): number | undefined {
  if (frame.length < 6 || frame.readUInt32LE(0) !== ZSTD_MAGIC) return undefined;
  const descriptor = frame[4] as number;
  const sizeFlag = descriptor >>> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03] as number;
  const at = 5 + (singleSegment ? 0 : 1) + dictionaryBytes;
  const sizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
  if (sizeBytes === 0 || at + sizeBytes > frame.length) return undefined;
  switch (sizeBytes) {
    case 1:
      return frame[at];
    case 2:
      return frame.readUInt16LE(at) + 256;
    case 4:
      return frame.readUInt32LE(at);
    default:
      return Number(frame.readBigUInt64LE(at));
  }
}

function toBuffer(bytes: unknown): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (bytes instanceof Uint8Array) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The client's codecs may hand back its own multi-chunk buffer type.
  const chunked = bytes as { buffer?: unknown; slice?: (start: number, end?: number) => Buffer };
  if (Buffer.isBuffer(chunked.buffer)) return chunked.buffer;
  if (typeof chunked.slice === 'function') return chunked.slice(0);
  throw new RecordBatchError('a decompressed record set of an unknown type');
}

/** A record to write: what a publisher framed. */
export interface RecordToWrite {
  key: Buffer;
  value: Buffer;
  headers: ReadonlyMap<Buffer, Buffer>;
  /** Epoch milliseconds. */
  timestamp: number;
}

/** Who wrote a batch, for the broker's duplicate check (an idempotent producer). */
export interface BatchWriter {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

/** Bytes of a zigzag varint (or varlong) of an integer exact in a double. */
function varintSize(n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

function writeVarint(bytes: Buffer, at: number, n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 128) {
    bytes[at++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  bytes[at++] = z;
  return at;
}

/**
 * One record batch (magic 2) holding `records` in order, at base offset 0 (the broker assigns
 * offsets), with create-time timestamps relative to the first record's. The buffer is sized once
 * and each field written in place; with `compression: 'zstd'` the records after the header are
 * compressed as one block (ADR 0029). The CRC-32C covers attributes to the end.
 */
export function encodeRecordBatch(
  records: readonly RecordToWrite[],
  writer: BatchWriter,
  options: { compression?: 'zstd' } = {},
): Buffer {
  if (records.length === 0) throw new RecordBatchError('a record batch holds at least one record');
  const first = (records[0] as RecordToWrite).timestamp;
  let maxTimestamp = first;
  const bodies = new Array<number>(records.length);
  let total: number = BATCH.records;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RecordToWrite;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    let body =
      1 +
      varintSize(r.timestamp - first) +
      varintSize(i) +
      varintSize(r.key.length) +
      r.key.length +
      varintSize(r.value.length) +
      r.value.length +
      varintSize(r.headers.size);
    for (const [k, v] of r.headers) body += varintSize(k.length) + k.length + varintSize(v.length) + v.length;
    bodies[i] = body;
    total += varintSize(body) + body;
  }
  const bytes = Buffer.allocUnsafe(total);
  bytes.writeBigInt64BE(0n, 0);
  bytes.writeInt32BE(total - 12, BATCH.length);
  bytes.writeInt32BE(-1, BATCH.leaderEpoch);
  bytes.writeInt8(2, BATCH.magic);
  bytes.writeInt16BE(0, BATCH.attributes);
  bytes.writeInt32BE(records.length - 1, BATCH.lastOffsetDelta);
  bytes.writeBigInt64BE(BigInt(first), BATCH.firstTimestamp);
  bytes.writeBigInt64BE(BigInt(maxTimestamp), BATCH.maxTimestamp);
  bytes.writeBigInt64BE(writer.producerId, BATCH.producerId);
  bytes.writeInt16BE(writer.producerEpoch, BATCH.producerEpoch);
  bytes.writeInt32BE(writer.baseSequence, BATCH.baseSequence);
  bytes.writeInt32BE(records.length, BATCH.count);
  let at: number = BATCH.records;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RecordToWrite;
    at = writeVarint(bytes, at, bodies[i] as number);
    bytes[at++] = 0; // attributes: unused
    at = writeVarint(bytes, at, r.timestamp - first);
    at = writeVarint(bytes, at, i);
    at = writeVarint(bytes, at, r.key.length);
    at += r.key.copy(bytes, at);
    at = writeVarint(bytes, at, r.value.length);
    at += r.value.copy(bytes, at);
    at = writeVarint(bytes, at, r.headers.size);
    for (const [k, v] of r.headers) {
      at = writeVarint(bytes, at, k.length);
      at += k.copy(bytes, at);
      at = writeVarint(bytes, at, v.length);
      at += v.copy(bytes, at);
    }
  }
  if (options.compression !== 'zstd') return sealBatch(bytes);
  const compressed = zstdCompressSync(bytes.subarray(BATCH.records), {
    params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL },
  });
  const sealed = Buffer.allocUnsafe(BATCH.records + compressed.length);
  bytes.copy(sealed, 0, 0, BATCH.records);
  compressed.copy(sealed, BATCH.records);
  sealed.writeInt32BE(sealed.length - 12, BATCH.length);
  sealed.writeInt16BE(ZSTD, BATCH.attributes);
  return sealBatch(sealed);
}

/** Writes the checksum, which covers the attributes to the end of the batch. */
function sealBatch(bytes: Buffer): Buffer {
  bytes.writeUInt32BE(crc32c(bytes.subarray(BATCH.attributes)) >>> 0, BATCH.crc);
  return bytes;
}

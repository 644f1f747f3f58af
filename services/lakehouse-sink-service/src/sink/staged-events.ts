import type { PartitionOffsets } from './offsets.ts';

/** One asset-stream record as the sink takes it in; it is staged at once and not kept. */
export interface SinkRecord {
  partition: number;
  offset: bigint;
  /** Kafka key + value bytes. */
  size: number;
  tenant: string;
  /** The value as it arrived: the event's JSON, written to the table as it is. */
  bytes: Uint8Array;
}

/** The staged records at or above given offsets (`StagedEvents.from`). */
export interface StagedSelection {
  lines: Buffer[];
  records: number;
  /** Kafka bytes of the selected records. */
  bytes: number;
  /** Per partition, the offset after its last selected record. */
  next: PartitionOffsets;
}

/**
 * Records of one tenant, staged as newline-delimited JSON the moment they arrive (ADR 0021): one
 * line per record, `{"p":<partition>,"o":<offset>,"e":<event>}`, where the event is the record's
 * value exactly as it arrived. Each line's partition, offset and Kafka size sit beside it in typed
 * arrays. The sink buffers these rather than the records (ADR 0022): a handful of objects per
 * batch instead of an object graph per event held for a whole commit interval.
 */
export class StagedEvents {
  private constructor(
    /** The lines, each ending in a newline. */
    readonly lines: Buffer,
    /** Where each line ends in `lines` (exclusive). */
    private readonly ends: Uint32Array,
    readonly partitions: Int32Array,
    readonly offsets: BigInt64Array,
    private readonly sizes: Uint32Array,
    /** Kafka bytes of all the records. */
    readonly bytes: number,
    /** Per partition, its lowest staged offset. */
    readonly firstOffsets: ReadonlyMap<number, bigint>,
  ) {}

  static of(records: readonly SinkRecord[]): StagedEvents {
    const n = records.length;
    const prefixes = new Array<string>(n);
    let size = 0;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i] as SinkRecord;
      prefixes[i] = `{"p":${r.partition},"o":${r.offset},"e":`;
      size += (prefixes[i] as string).length + r.bytes.length + 2;
      bytes += r.size;
    }
    const lines = Buffer.allocUnsafe(size);
    const ends = new Uint32Array(n);
    const partitions = new Int32Array(n);
    const offsets = new BigInt64Array(n);
    const sizes = new Uint32Array(n);
    const firstOffsets = new Map<number, bigint>();
    let at = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i] as SinkRecord;
      at += lines.write(prefixes[i] as string, at, 'latin1');
      lines.set(r.bytes, at);
      at += r.bytes.length;
      lines[at++] = 0x7d; // }
      lines[at++] = 0x0a; // newline
      ends[i] = at;
      partitions[i] = r.partition;
      offsets[i] = r.offset;
      sizes[i] = r.size;
      const first = firstOffsets.get(r.partition);
      if (first === undefined || r.offset < first) firstOffsets.set(r.partition, r.offset);
    }
    return new StagedEvents(lines, ends, partitions, offsets, sizes, bytes, firstOffsets);
  }

  get count(): number {
    return this.ends.length;
  }

  /**
   * The lines of the records at or above `stored`'s offset for their partition (a partition it
   * does not name: all of them): what a table holding `stored` does not have yet. The lines are
   * slices of this one's, in order.
   */
  from(stored: PartitionOffsets): StagedSelection {
    const selection: StagedSelection = { lines: [], records: 0, bytes: 0, next: new Map() };
    let runStart = -1;
    for (let i = 0; i <= this.count; i++) {
      const keep =
        i < this.count && (this.offsets[i] as bigint) >= (stored.get(this.partitions[i] as number) ?? 0n);
      if (keep) {
        if (runStart < 0) runStart = i;
        const partition = this.partitions[i] as number;
        const next = (this.offsets[i] as bigint) + 1n;
        if (next > (selection.next.get(partition) ?? -1n)) selection.next.set(partition, next);
        selection.records += 1;
        selection.bytes += this.sizes[i] as number;
      } else if (runStart >= 0) {
        const start = runStart === 0 ? 0 : (this.ends[runStart - 1] as number);
        selection.lines.push(this.lines.subarray(start, this.ends[i - 1]));
        runStart = -1;
      }
    }
    return selection;
  }
}

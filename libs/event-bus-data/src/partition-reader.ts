import { type Consumer, ListOffsetTimestamps } from '@platformatic/kafka';

/** Record-batch attribute bit of transaction markers (never data). */
const CONTROL_BATCH = 0x20;
const FETCH_BYTES = 8 * 1024 * 1024;
const MAX_EMPTY_FETCHES = 20;

/**
 * Reads a range of one partition outside any consumer group, with a client of its own (so the
 * group member's fetch session is left alone). For rebuilding what a consumer keeps about the
 * records just before where it resumes.
 */
export class PartitionReader {
  readonly #client: Consumer<Buffer, Buffer, Buffer, Buffer>;
  readonly #topic: string;

  constructor(client: Consumer<Buffer, Buffer, Buffer, Buffer>, topic: string) {
    this.#client = client;
    this.#topic = topic;
  }

  /** The first offset the partition still holds. */
  async earliest(partition: number): Promise<bigint> {
    const offsets = await this.#client.listOffsets({
      topics: [this.#topic],
      partitions: { [this.#topic]: [partition] },
      timestamp: ListOffsetTimestamps.EARLIEST,
    });
    const offset = offsets.get(this.#topic)?.[partition];
    if (offset === undefined) throw new Error(`${this.#topic} has no partition ${partition}`);
    return offset;
  }

  /**
   * Hands every record in [from, to) to `take`, in offset order; offsets the log does not hold
   * (there are none in a plain topic) are simply absent.
   */
  async read(
    partition: number,
    from: bigint,
    to: bigint,
    take: (offset: bigint, value: Buffer | null) => void,
  ): Promise<void> {
    let next = from;
    let empty = 0;
    while (next < to) {
      const metadata = await this.#client.metadata({ topics: [this.#topic] });
      const topic = metadata.topics.get(this.#topic);
      const leader = topic?.partitions[partition]?.leader;
      if (!topic || leader === undefined) throw new Error(`${this.#topic} has no partition ${partition}`);
      const response = await this.#client.fetch({
        node: leader,
        topics: [
          {
            topicId: topic.id,
            partitions: [
              {
                partition,
                fetchOffset: next,
                partitionMaxBytes: FETCH_BYTES,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              },
            ],
          },
        ],
        minBytes: 1,
        maxBytes: FETCH_BYTES,
        maxWaitTime: 200,
      });
      const before = next;
      for (const topicResponse of response.responses) {
        for (const part of topicResponse.partitions) {
          if (part.partitionIndex !== partition) continue;
          if (part.errorCode !== 0) {
            throw new Error(
              `${this.#topic}/${partition}: fetch at ${next} failed with error code ${part.errorCode}`,
            );
          }
          for (const batch of part.records ?? []) {
            const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
            if ((batch.attributes & CONTROL_BATCH) === 0) {
              for (const record of batch.records) {
                const offset = batch.firstOffset + BigInt(record.offsetDelta);
                if (offset < next) continue;
                if (offset >= to) break;
                take(offset, record.value);
              }
            }
            if (last + 1n > next) next = last + 1n;
          }
        }
      }
      if (next === before && ++empty >= MAX_EMPTY_FETCHES) {
        throw new Error(
          `${this.#topic}/${partition}: no records at ${next} although the range ends at ${to}`,
        );
      }
    }
  }

  close(): Promise<void> {
    return this.#client.close().catch(() => {});
  }
}

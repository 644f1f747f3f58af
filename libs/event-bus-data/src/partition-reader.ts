import {
  type ConnectionOptions,
  ConnectionPool,
  type Consumer,
  ListOffsetTimestamps,
} from '@platformatic/kafka';
import { fetchPartitions } from './fetch-loop.ts';
import { leaderConnection } from './leaders.ts';
import { decodeRecordBatches, type FetchedRecord } from './record-batches.ts';

const FETCH_BYTES = 8 * 1024 * 1024;
const MAX_EMPTY_FETCHES = 20;

/**
 * Reads a range of one partition outside any consumer group, with a client and connections of its
 * own. For rebuilding what a consumer keeps about the records just before where it resumes. Records
 * are read as the batch consumers read them (ADR 0026).
 */
export class PartitionReader {
  readonly #client: Consumer<Buffer, Buffer, Buffer, Buffer>;
  readonly #pool: ConnectionPool;
  readonly #topic: string;

  /** `client` for metadata and offsets (it never joins a group); `connection` for fetching. */
  constructor(
    client: Consumer<Buffer, Buffer, Buffer, Buffer>,
    topic: string,
    connection: { clientId: string; options: ConnectionOptions },
  ) {
    this.#client = client;
    this.#topic = topic;
    this.#pool = new ConnectionPool(connection.clientId, connection.options);
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
    let done = false;
    const each = (record: FetchedRecord) => {
      if (done || record.offset >= to) {
        done = true;
        return;
      }
      take(record.offset, record.value);
    };
    while (next < to && !done) {
      const metadata = await this.#client.metadata({ topics: [this.#topic] });
      const topic = metadata.topics.get(this.#topic);
      const leader = topic?.partitions[partition]?.leader;
      if (!topic || leader === undefined || leader < 0)
        throw new Error(`${this.#topic} has no partition ${partition}`);
      const answer = await fetchPartitions(
        await leaderConnection(this.#pool, metadata, leader),
        topic.id,
        [{ partition, offset: next }],
        FETCH_BYTES,
        200,
      );
      const part = answer.partitions.find((p) => p.partition === partition);
      if (answer.errorCode !== 0 || (part && part.errorCode !== 0)) {
        throw new Error(
          `${this.#topic}/${partition}: fetch at ${next} failed with error code ${answer.errorCode || part?.errorCode}`,
        );
      }
      const before = next;
      if (part?.records) next = decodeRecordBatches(part.records, partition, next, each).next;
      if (next === before && ++empty >= MAX_EMPTY_FETCHES) {
        throw new Error(
          `${this.#topic}/${partition}: no records at ${next} although the range ends at ${to}`,
        );
      }
    }
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => {});
    await this.#client.close().catch(() => {});
  }
}

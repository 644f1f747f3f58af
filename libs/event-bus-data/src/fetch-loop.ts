import {
  type Connection,
  type ConnectionOptions,
  ConnectionPool,
  type Consumer,
  createAPI,
  fetchV17,
  ListOffsetTimestamps,
  type Reader,
} from '@platformatic/kafka';
import { KafkaCode } from './errors.ts';
import { groupByLeader, leaderConnection } from './leaders.ts';
import { decodeRecordBatches, type FetchedRecord } from './record-batches.ts';
import { type ConsumerLog, sleep } from './records.ts';

// A consumer group member's fetch loop of our own (ADR 0026). The client keeps the membership
// (join, heartbeats, assignments) and the offsets (committed, listed, commits); this loop sends
// the Fetch requests and reads their record sets without the client's per-record objects.

/** The part of a partition's fetch answer this loop reads. */
interface PartitionAnswer {
  partition: number;
  errorCode: number;
  /** The partition's record set as one buffer (null: none). */
  records: Buffer | null;
}

export interface FetchAnswer {
  errorCode: number;
  partitions: PartitionAnswer[];
}

/** Fetch v17's response, with the record sets left as bytes. */
function parseFetch(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): FetchAnswer {
  reader.readInt32(); // throttle_time_ms
  const errorCode = reader.readInt16();
  reader.readInt32(); // session_id
  const partitions: PartitionAnswer[] = [];
  reader.readArray(
    (topic) => {
      topic.readUUID();
      topic.readArray(
        (r) => {
          const partition = r.readInt32();
          const partitionError = r.readInt16();
          r.readInt64(); // high_watermark
          r.readInt64(); // last_stable_offset
          r.readInt64(); // log_start_offset
          r.readNullableArray((aborted) => {
            aborted.readInt64();
            aborted.readInt64();
          });
          r.readInt32(); // preferred_read_replica
          // COMPACT_RECORDS: the length plus one; 0 is null.
          const size = r.readUnsignedVarInt() - 1;
          let records: Buffer | null = null;
          if (size > 0) {
            records = r.buffer.slice(r.position, r.position + size);
            r.skip(size);
          }
          r.readTaggedFields();
          partitions.push({ partition, errorCode: partitionError, records });
        },
        true,
        false,
      );
      topic.readTaggedFields();
    },
    true,
    false,
  );
  reader.readTaggedFields();
  return { errorCode, partitions };
}

type FetchArgs = [
  maxWaitMs: number,
  minBytes: number,
  maxBytes: number,
  isolationLevel: number,
  sessionId: number,
  sessionEpoch: number,
  topics: {
    topicId: string;
    partitions: {
      partition: number;
      fetchOffset: bigint;
      partitionMaxBytes: number;
      currentLeaderEpoch: number;
      lastFetchedEpoch: number;
    }[];
  }[],
  forgottenTopicsData: never[],
  rackId: string,
];
const FETCH = createAPI<FetchArgs, FetchAnswer>(1, 17, fetchV17.createRequest, parseFetch);

/**
 * One Fetch request to a partition leader for these partitions from these offsets, outside any
 * fetch session (id 0, epoch -1: every request names all its partitions).
 */
export function fetchPartitions(
  connection: Connection,
  topicId: string,
  from: readonly { partition: number; offset: bigint }[],
  maxBytesPerPartition: number,
  maxWaitMs: number,
): Promise<FetchAnswer> {
  const partitions = from.map(({ partition, offset }) => ({
    partition,
    fetchOffset: offset,
    partitionMaxBytes: maxBytesPerPartition,
    currentLeaderEpoch: -1,
    lastFetchedEpoch: -1,
  }));
  return FETCH.async(
    connection,
    maxWaitMs,
    1,
    maxBytesPerPartition * partitions.length,
    0,
    0,
    -1,
    [{ topicId, partitions }],
    [],
    '',
  );
}

const { OFFSET_OUT_OF_RANGE, TOPIC_AUTHORIZATION_FAILED } = KafkaCode;

/** Which end of a partition a member starts at when it has no position of its own there. */
function startOf(mode: FetchLoopOptions['mode'], fallback: FetchLoopOptions['fallback']) {
  return mode === 'earliest' || (mode === 'committed' && fallback === 'earliest')
    ? ListOffsetTimestamps.EARLIEST
    : ListOffsetTimestamps.LATEST;
}
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface FetchLoopOptions {
  /** The group member: it joins, heartbeats, holds the assignment and commits. */
  client: Consumer<Buffer, Buffer, Buffer, Buffer>;
  clientId: string;
  /** How to reach the brokers (SASL), as for the client. */
  connection: ConnectionOptions;
  topic: string;
  /**
   * `committed`: each assigned partition resumes at the group's offset; `earliest`: at its start;
   * `latest`: at its end (a live push). In the last two a partition kept through a reassignment
   * carries on where it was.
   */
  mode: 'committed' | 'earliest' | 'latest';
  /** Where a partition without a committed offset starts. */
  fallback: 'earliest' | 'latest';
  maxBytesPerPartition: number;
  /** How long the broker holds a fetch that found nothing. */
  maxWaitMs: number;
  /** Every data record of one fetch answer, in offset order per partition. */
  onRecords: (records: FetchedRecord[]) => void;
  /** A failure the loop cannot get past (the member stops fetching). */
  onFailure: (error: Error) => void;
  log: ConsumerLog;
}

/**
 * Fetches the partitions the group assigned to this member. A reassignment (the client's
 * `consumer:group:join`) resets every position: committed offsets in `committed` mode (a partition
 * kept resumes there too), the partition's start for new ones in `earliest` mode. While the group
 * rebalances nothing is fetched, and an answer to a fetch sent before a reassignment is dropped.
 */
export class FetchLoop {
  readonly #options: FetchLoopOptions;
  readonly #pool: ConnectionPool;
  /** Partition → the next offset to fetch, for the current assignment. */
  #positions = new Map<number, bigint>();
  /** Bumped by every rebalance and assignment; work of an older one is dropped. */
  #generation = 0;
  #assigned = false;
  #paused = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #assigning: Promise<void> = Promise.resolve();
  #running: Promise<void> | undefined;
  #refreshMetadata = false;

  constructor(options: FetchLoopOptions) {
    this.#options = options;
    this.#pool = new ConnectionPool(`${options.clientId}.fetch`, options.connection);
  }

  readonly #onRebalance = () => {
    this.#generation++;
    this.#assigned = false;
  };

  readonly #onJoin = () => {
    const generation = ++this.#generation;
    this.#assigned = false;
    this.#assigning = this.#assigning.then(() => this.#assign(generation));
  };

  /** Joins the group and starts fetching once the first assignment's positions are known. */
  async start(): Promise<void> {
    const { client, topic } = this.#options;
    client.on('consumer:group:rebalance', this.#onRebalance);
    client.on('consumer:group:join', this.#onJoin);
    client.topics.track(topic);
    await client.joinGroup({});
    await this.#assigning;
    this.#running = this.#loop();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#signal();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal();
    this.#options.client.off('consumer:group:rebalance', this.#onRebalance);
    this.#options.client.off('consumer:group:join', this.#onJoin);
    await this.#running?.catch(() => {});
    await this.#pool.close().catch(() => {});
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Where each assigned partition starts; retried until it succeeds or a newer assignment comes. */
  async #assign(generation: number): Promise<void> {
    const { client, topic, mode, fallback } = this.#options;
    for (let attempt = 1; generation === this.#generation && !this.#closed; attempt++) {
      try {
        const partitions = client.assignments?.find((a) => a.topic === topic)?.partitions ?? [];
        const positions = new Map<number, bigint>();
        if (partitions.length > 0) {
          const timestamp = startOf(mode, fallback);
          const listed = (await client.listOffsets({ topics: [topic], timestamp })).get(topic) ?? [];
          const committed =
            mode === 'committed'
              ? ((await client.listCommittedOffsets({ topics: [{ topic, partitions }] })).get(topic) ?? [])
              : [];
          for (const partition of partitions) {
            const kept = mode === 'committed' ? undefined : this.#positions.get(partition);
            const own = committed[partition];
            const start = kept ?? (own !== undefined && own >= 0n ? own : listed[partition]);
            if (start === undefined) throw new Error(`${topic} has no partition ${partition}`);
            positions.set(partition, start);
          }
        }
        if (generation !== this.#generation) return;
        this.#positions = positions;
        this.#assigned = true;
        this.#signal();
        return;
      } catch (error) {
        this.#options.log('warn', 'data bus consumer could not place its partitions; retrying', {
          topic,
          attempt,
          error: (error as Error).message,
        });
        await sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt));
      }
    }
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      if (!this.#assigned || this.#paused || this.#positions.size === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      try {
        await this.#fetchOnce();
        failures = 0;
      } catch (error) {
        if (this.#closed) return;
        if ((error as { fatal?: boolean }).fatal) {
          this.#options.onFailure(error as Error);
          return;
        }
        failures++;
        this.#refreshMetadata = true;
        this.#options.log('warn', 'data bus fetch failed; retrying', {
          topic: this.#options.topic,
          attempt: failures,
          error: (error as Error).message,
        });
        await this.#sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** failures));
      }
    }
  }

  /** One fetch per leader of the assigned partitions, all in flight at once. */
  async #fetchOnce(): Promise<void> {
    const { client, topic } = this.#options;
    const generation = this.#generation;
    // This assignment's positions: a reassignment meanwhile replaces the map, never changes this one.
    const positions = this.#positions;
    const metadata = await client.metadata({ topics: [topic], forceUpdate: this.#refreshMetadata });
    this.#refreshMetadata = false;
    const topicMetadata = metadata.topics.get(topic);
    if (!topicMetadata) throw new Error(`${topic} is not in the cluster metadata`);
    const { byLeader, leaderless } = groupByLeader(
      metadata,
      positions.keys(),
      () => topic,
      (partition) => partition,
    );
    if (leaderless[0] !== undefined) throw new Error(`${topic}/${leaderless[0]} has no leader`);
    const answers = await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        return fetchPartitions(
          await leaderConnection(this.#pool, metadata, leader),
          topicMetadata.id,
          partitions.map((partition) => ({ partition, offset: positions.get(partition) as bigint })),
          this.#options.maxBytesPerPartition,
          this.#options.maxWaitMs,
        );
      }),
    );
    if (generation !== this.#generation || this.#closed) return;
    const records: FetchedRecord[] = [];
    const take = (record: FetchedRecord) => {
      records.push(record);
    };
    for (const answer of answers) {
      if (answer.errorCode !== 0) throw new Error(`fetch refused with Kafka error ${answer.errorCode}`);
      for (const part of answer.partitions) {
        const from = positions.get(part.partition);
        if (from === undefined) continue;
        if (part.errorCode === OFFSET_OUT_OF_RANGE) {
          await this.#outOfRange(positions, part.partition, from);
          if (generation !== this.#generation || this.#closed) return;
          continue;
        }
        if (part.errorCode === TOPIC_AUTHORIZATION_FAILED) {
          throw Object.assign(new Error(`${topic}: not authorized to read it (Kafka error 29)`), {
            fatal: true,
          });
        }
        if (part.errorCode !== 0) {
          // Leadership moved, the partition is not available yet, …: look again and retry.
          throw new Error(`${topic}/${part.partition}: fetch failed with Kafka error ${part.errorCode}`);
        }
        if (!part.records) continue;
        const { next } = decodeRecordBatches(part.records, part.partition, from, take);
        if (next > from) positions.set(part.partition, next);
      }
    }
    if (records.length > 0) this.#options.onRecords(records);
  }

  /** The log no longer holds (or not yet) the position: start over where a new member would. */
  async #outOfRange(positions: Map<number, bigint>, partition: number, from: bigint): Promise<void> {
    const { client, topic, mode, fallback } = this.#options;
    const timestamp = startOf(mode, fallback);
    const listed = (
      await client.listOffsets({ topics: [topic], partitions: { [topic]: [partition] }, timestamp })
    ).get(topic)?.[partition];
    if (listed === undefined) return;
    this.#options.log('warn', 'fetch position out of range; starting over', {
      topic,
      partition,
      from: String(from),
      to: String(listed),
    });
    positions.set(partition, listed);
  }
}

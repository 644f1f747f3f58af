import { BusError, BusErrorCode } from '@openfoundry/bus-registry';
import {
  type ConnectionOptions,
  ConnectionPool,
  createAPI,
  type Producer,
  ProtocolError,
  protocolErrorsCodesById,
  type Reader,
  Writer,
} from '@platformatic/kafka';
import { KafkaCode } from './errors.ts';
import { groupByLeader, leaderConnection } from './leaders.ts';
import { encodeRecordBatch, type RecordToWrite } from './record-batches.ts';
import { sleep } from './records.ts';

// The produce path of our own (ADR 0027). The client still finds the cluster (metadata) and
// hands out producer ids; this sender writes each partition's records as one record batch, keeps
// the idempotent sequence numbers, sends Produce v11 to each leader and retries what did not land
// with the very same bytes, so the broker drops a copy it already has.

/** A record for one partition of one topic. */
export interface OutgoingRecord extends RecordToWrite {
  topic: string;
  partition: number;
}

/** What became of one partition's share of a send. */
export interface PartitionOutcome<R extends OutgoingRecord> {
  topic: string;
  partition: number;
  /** In the order sent. */
  records: R[];
  /** The offset of the first record, when the broker has them all. */
  offset?: bigint;
  /** Why none of them were written (or may not have been, when the deadline passed). */
  error?: Error;
}

interface PartitionAnswer {
  partition: number;
  errorCode: number;
  baseOffset: bigint;
  errorMessage: string | null;
}

interface ProduceAnswer {
  /** Topic name → its partitions' answers. */
  topics: Map<string, PartitionAnswer[]>;
}

/** Produce v11's response, every partition's error kept rather than thrown. */
function parseProduce(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): ProduceAnswer {
  const topics = new Map<string, PartitionAnswer[]>();
  reader.readArray(
    (topic) => {
      const name = topic.readString();
      const partitions: PartitionAnswer[] = [];
      topic.readArray(
        (r) => {
          const partition = r.readInt32();
          const errorCode = r.readInt16();
          const baseOffset = r.readInt64();
          r.readInt64(); // log_append_time_ms
          r.readInt64(); // log_start_offset
          r.readArray(
            (e) => {
              e.readInt32(); // batch_index
              e.readNullableString();
              e.readTaggedFields();
            },
            true,
            false,
          );
          const errorMessage = r.readNullableString();
          r.readTaggedFields();
          partitions.push({ partition, errorCode, baseOffset, errorMessage });
        },
        true,
        false,
      );
      topic.readTaggedFields();
      topics.set(name, partitions);
    },
    true,
    false,
  );
  reader.readInt32(); // throttle_time_ms
  reader.readTaggedFields();
  return { topics };
}

/** A partition's batch, written once and sent as often as it takes. */
interface Slot<R extends OutgoingRecord> {
  topic: string;
  partition: number;
  records: R[];
  bytes: Buffer;
  baseSequence: number;
}

type ProduceArgs = [acks: number, timeoutMs: number, slots: Slot<OutgoingRecord>[]];

function writeProduce(acks: number, timeoutMs: number, slots: Slot<OutgoingRecord>[]): Writer {
  const byTopic = new Map<string, Slot<OutgoingRecord>[]>();
  for (const slot of slots) {
    const list = byTopic.get(slot.topic);
    if (list) list.push(slot);
    else byTopic.set(slot.topic, [slot]);
  }
  return Writer.create()
    .appendString(null) // transactional_id
    .appendInt16(acks)
    .appendInt32(timeoutMs)
    .appendArray([...byTopic], (w, [topic, list]) => {
      w.appendString(topic).appendArray(list, (p, slot) => {
        p.appendInt32(slot.partition).appendBytes(slot.bytes); // COMPACT_RECORDS
      });
    })
    .appendTaggedFields();
}

const PRODUCE = createAPI<ProduceArgs, ProduceAnswer>(0, 11, writeProduce, parseProduce);

const ACKS_ALL = -1;

/** A partition's error code as an error the bus maps to its own codes (it reads `apiCode`). */
function partitionError(code: number, message: string | null): Error & { canRetry?: boolean } {
  if (protocolErrorsCodesById[code]) return new ProtocolError(code, message);
  return Object.assign(new Error(`Kafka error code ${code}${message ? `: ${message}` : ''}`), {
    apiCode: code,
    canRetry: false,
  });
}
/** Sequence numbers are int32 and wrap to 0 (the broker expects the wrap). */
const SEQUENCE_WRAP = 2 ** 31;

// Kafka error codes a partition answer can carry that this sender acts on.
/** The broker no longer has this producer's state, or a batch before this one is missing. */
const PRODUCER_STATE_LOST = new Set<number>([
  KafkaCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  KafkaCode.INVALID_PRODUCER_EPOCH,
  KafkaCode.UNKNOWN_PRODUCER_ID,
]);
/** Refusals the broker answers after checking a batch and before appending any of it. */
const REFUSED_UNWRITTEN = new Set<number>([
  KafkaCode.MESSAGE_TOO_LARGE,
  KafkaCode.RECORD_LIST_TOO_LARGE,
  KafkaCode.TOPIC_AUTHORIZATION_FAILED,
  KafkaCode.INVALID_TIMESTAMP,
  KafkaCode.INVALID_RECORD,
]);
/** Worth asking for fresh metadata before the next attempt: the leader moved. */
const STALE_METADATA = new Set<number>([
  KafkaCode.UNKNOWN_TOPIC_OR_PARTITION,
  KafkaCode.LEADER_NOT_AVAILABLE,
  KafkaCode.NOT_LEADER_OR_FOLLOWER,
  KafkaCode.FENCED_LEADER_EPOCH,
  KafkaCode.UNKNOWN_LEADER_EPOCH,
]);

export interface BatchSenderOptions {
  /** Finds leaders (cached metadata) and hands out producer ids; never sends records. */
  producer: Producer;
  clientId: string;
  connection: ConnectionOptions;
  /** How long a batch is retried before its records fail. */
  deliveryTimeoutMs: number;
  retryDelayMs: number;
  /** How long a broker may wait for its in-sync replicas before it answers. */
  requestTimeoutMs: number;
  /** How each batch's records are compressed (ADR 0029). */
  compression: 'zstd' | 'none';
}

interface Identity {
  producerId: bigint;
  producerEpoch: number;
}

/**
 * Sends records as an idempotent producer with acks=all, one send at a time: the caller (the
 * publishers' SendQueue) starts the next send only when the last one settled, which is what lets
 * a retry reuse the original sequence numbers without reordering anything.
 */
export class BatchSender {
  readonly #options: BatchSenderOptions;
  readonly #pool: ConnectionPool;
  /** `topic:partition` → the next sequence number under the current identity. */
  readonly #sequences = new Map<string, number>();
  #identity: Identity | undefined;
  #busy = false;
  #closed = false;

  constructor(options: BatchSenderOptions) {
    this.#options = options;
    this.#pool = new ConnectionPool(`${options.clientId}.produce`, options.connection);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.close().catch(() => {});
  }

  /**
   * Writes each partition's records as one batch and sends them until every partition is
   * acknowledged, definitely refused, or the delivery deadline passes. Never rejects: each
   * partition's outcome says what happened to it.
   */
  async send<R extends OutgoingRecord>(records: readonly R[]): Promise<PartitionOutcome<R>[]> {
    if (this.#busy) throw new Error('BatchSender.send: one send at a time');
    this.#busy = true;
    try {
      return await this.#send(records);
    } finally {
      this.#busy = false;
    }
  }

  async #send<R extends OutgoingRecord>(records: readonly R[]): Promise<PartitionOutcome<R>[]> {
    const outcomes = new Map<string, PartitionOutcome<R>>();
    for (const record of records) {
      const key = `${record.topic}:${record.partition}`;
      const outcome = outcomes.get(key);
      if (outcome) outcome.records.push(record);
      else outcomes.set(key, { topic: record.topic, partition: record.partition, records: [record] });
    }
    const deadline = Date.now() + this.#options.deliveryTimeoutMs;
    let pending: PartitionOutcome<R>[] = [...outcomes.values()];
    let slots = new Map<PartitionOutcome<R>, Slot<R>>();
    let lastError: Error | undefined;
    let refresh = false;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (this.#closed) {
        lastError = new BusError(BusErrorCode.Closed, 'the data bus closed before the broker acknowledged');
        break;
      }
      if (attempt > 0) {
        const wait = Math.min(this.#options.retryDelayMs, deadline - Date.now());
        if (wait <= 0) break;
        await sleep(wait);
      }
      try {
        if (!this.#identity) {
          this.#identity = await this.#newIdentity();
          slots = new Map();
        }
        const identity = this.#identity;
        for (const outcome of pending)
          if (!slots.has(outcome)) slots.set(outcome, this.#slot(outcome, identity));
        const topics = [...new Set(pending.map((o) => o.topic))];
        const metadata = await this.#options.producer.metadata({ topics, forceUpdate: refresh, retries: 0 });
        refresh = false;
        // One request per leader, all in flight at once.
        const { byLeader, leaderless } = groupByLeader(
          metadata,
          pending,
          (o) => o.topic,
          (o) => o.partition,
        );
        for (const outcome of leaderless) {
          lastError = new Error(`${outcome.topic}/${outcome.partition} has no leader`);
          refresh = true;
        }
        const settled = await Promise.all(
          [...byLeader].map(async ([leader, list]) => {
            try {
              const answer = await PRODUCE.async(
                await leaderConnection(this.#pool, metadata, leader),
                ACKS_ALL,
                this.#options.requestTimeoutMs,
                list.map((o) => slots.get(o) as Slot<OutgoingRecord>),
              );
              return { list, answer };
            } catch (error) {
              return { list, error: error as Error };
            }
          }),
        );
        let stateLost = false;
        for (const { list, answer, error } of settled) {
          if (error || !answer) {
            // The request may or may not have landed: the same bytes go again.
            lastError = error;
            refresh = true;
            continue;
          }
          for (const outcome of list) {
            const found = answer.topics.get(outcome.topic)?.find((p) => p.partition === outcome.partition);
            const code = found?.errorCode ?? -1;
            if (found && code === 0) {
              outcome.offset = found.baseOffset;
              continue;
            }
            const failure: Error & { canRetry?: boolean } = found
              ? partitionError(code, found.errorMessage)
              : new Error(`the broker did not answer for ${outcome.topic}/${outcome.partition}`);
            if (PRODUCER_STATE_LOST.has(code)) {
              stateLost = true;
              lastError = failure;
            } else if (code === KafkaCode.DUPLICATE_SEQUENCE_NUMBER) {
              // The broker has it beyond the answers it keeps: written, but its offset is unknown.
              outcome.error = failure;
              stateLost = true;
            } else if (found && REFUSED_UNWRITTEN.has(code)) {
              // Refused before anything was written: its sequence numbers are free again.
              outcome.error = failure;
              this.#sequences.set(
                `${outcome.topic}:${outcome.partition}`,
                (slots.get(outcome) as Slot<R>).baseSequence,
              );
            } else if (found && !failure.canRetry) {
              // Whether any of it was written is unknown. Reusing its sequence numbers could make
              // the broker take the next batch for a copy of this one, so a new producer id follows.
              outcome.error = failure;
              stateLost = true;
            } else {
              lastError = failure;
              if (STALE_METADATA.has(code) || !found) refresh = true;
            }
          }
        }
        pending = pending.filter((o) => o.offset === undefined && o.error === undefined);
        if (stateLost) this.#forget();
      } catch (error) {
        // Metadata or producer id not to be had right now.
        lastError = error as Error;
        refresh = true;
      }
    }
    if (pending.length > 0) {
      const reason = lastError ?? new Error('no attempt finished before the delivery deadline');
      for (const outcome of pending) outcome.error = reason;
      // Some of these may have landed: a fresh identity keeps the next batches from looking out of order.
      this.#forget();
    }
    return [...outcomes.values()];
  }

  #slot<R extends OutgoingRecord>(outcome: PartitionOutcome<R>, identity: Identity): Slot<R> {
    const key = `${outcome.topic}:${outcome.partition}`;
    const baseSequence = this.#sequences.get(key) ?? 0;
    this.#sequences.set(key, (baseSequence + outcome.records.length) % SEQUENCE_WRAP);
    return {
      topic: outcome.topic,
      partition: outcome.partition,
      records: outcome.records,
      bytes: encodeRecordBatch(
        outcome.records,
        { ...identity, baseSequence },
        this.#options.compression === 'zstd' ? { compression: 'zstd' } : {},
      ),
      baseSequence,
    };
  }

  /** Drops the producer id: the next attempt asks for a new one and numbers from 0 again. */
  #forget(): void {
    this.#identity = undefined;
    this.#sequences.clear();
  }

  async #newIdentity(): Promise<Identity> {
    const info = await this.#options.producer.initIdempotentProducer({});
    return { producerId: info.producerId, producerEpoch: info.producerEpoch };
  }
}

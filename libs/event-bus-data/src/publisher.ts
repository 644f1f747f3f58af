import { BusError, BusErrorCode, type TopicDef } from '@openfoundry/bus-registry';
import type { BatchSender } from './batch-sender.ts';
import {
  encodePayload,
  type PayloadCheck,
  type Validated,
  validatedBytes,
  validatePayload,
} from './codec.ts';
import { toBusError } from './errors.ts';
import { LINEAGE_HEADER, lineageHeaderParts, rfc3339 } from './lineage.ts';

/** How many keys' partitions a publisher remembers before it starts over. */
const KEYS_REMEMBERED = 100_000;

/** The one platform header of a record (ADR 0019). */
const LINEAGE_KEY = Buffer.from(LINEAGE_HEADER);

export interface PublishRecord<T> {
  /** The record key: it picks the partition, so records with one key stay in order. */
  key: string;
  value: T;
  headers?: Record<string, string>;
  /** Event time (a date or epoch milliseconds); defaults to now. */
  timestamp?: Date | number;
}

export interface PublishResult {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface PublisherContext {
  sender: BatchSender;
  namespace: string;
  runId: string;
  producerUrl: string;
  /** Largest batch sent at once. */
  maxBatchRecords: number;
  maxBatchBytes: number;
  /** Bytes queued before publish() waits for room. */
  maxQueuedBytes: number;
  isClosed: () => boolean;
}

/** A record ready to be written (encoded key, value and headers), and who waits for it. */
interface Pending {
  topic: string;
  partition: number;
  /** The topic's max.message.bytes: one partition's share of a produce request must fit in it. */
  limit: number;
  /** The key as the publisher was given it (what its partition is remembered by). */
  keyText: string;
  key: Buffer;
  value: Buffer;
  headers: Map<Buffer, Buffer>;
  /** Event time, epoch milliseconds. */
  timestamp: number;
  size: number;
  /** Set when queued: told this record's outcome, as record `index` of the call that queued it. */
  outcome: Outcomes | undefined;
  index: number;
}

/** The outcome of one publish call: resolves once every record is acknowledged, rejects on the first failure. */
class Outcomes {
  readonly promise: Promise<PublishResult[]>;
  readonly #results: PublishResult[];
  #remaining: number;
  #resolve!: (results: PublishResult[]) => void;
  #reject!: (error: Error) => void;

  constructor(count: number) {
    this.#results = new Array<PublishResult>(count);
    this.#remaining = count;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  done(index: number, result: PublishResult): void {
    this.#results[index] = result;
    this.#remaining -= 1;
    if (this.#remaining === 0) this.#resolve(this.#results);
  }

  fail(error: Error): void {
    // The first failure settles the call; later ones change nothing.
    this.#remaining = -1;
    this.#reject(error);
  }
}

/**
 * The one queue of a DataBus's publishers. Idempotent produce keeps per-partition sequence
 * numbers, and a broker holds at most five unacknowledged batches per partition, so concurrent
 * sends racing each other can reorder or, after a failed retry, duplicate records. This queue
 * hands the sender one batch at a time: everything published while a batch is in flight goes into
 * the next one, which keeps order per key, lets the sender retry a batch with its original
 * sequence numbers, and still batches well under load.
 */
export class SendQueue {
  readonly #context: PublisherContext;
  #queue: Pending[] = [];
  #queuedBytes = 0;
  #inFlight = false;
  #scheduled = false;
  #roomWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];

  constructor(context: PublisherContext) {
    this.#context = context;
  }

  /**
   * Queues records synchronously, so records keep the order of the calls that queued them; resolves
   * with their results in order once all are acknowledged, rejects on the first failure.
   */
  enqueue(records: readonly Pending[], partitions: readonly number[]): Promise<PublishResult[]> {
    if (this.#context.isClosed())
      return Promise.reject(new BusError(BusErrorCode.Closed, 'the data bus is closed'));
    if (records.length === 0) return Promise.resolve([]);
    const outcome = new Outcomes(records.length);
    for (let index = 0; index < records.length; index++) {
      const record = records[index] as Pending;
      record.partition = partitions[index] ?? 0;
      record.outcome = outcome;
      record.index = index;
      this.#queue.push(record);
      this.#queuedBytes += record.size;
    }
    this.#schedule();
    return outcome.promise;
  }

  /**
   * Resolves when fewer than `maxQueuedBytes` wait to be sent. A producer loop awaits it to slow
   * down to the broker's pace instead of buffering without bound.
   */
  room(): Promise<void> {
    if (this.#queuedBytes <= this.#context.maxQueuedBytes) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Resolves once everything queued so far has been acknowledged or has failed. */
  idle(): Promise<void> {
    if (!this.#inFlight && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule() {
    if (this.#scheduled || this.#inFlight) return;
    this.#scheduled = true;
    // One macrotask of linger gathers a synchronous burst of publishes into one batch.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#sendNext();
    });
  }

  async #sendNext(): Promise<void> {
    if (this.#inFlight) return;
    if (this.#queue.length === 0) {
      for (const waiter of this.#idleWaiters.splice(0)) waiter();
      return;
    }
    this.#inFlight = true;
    let bytes = 0;
    let count = 0;
    const perPartition = new Map<string, number>();
    // Stop at the first record that does not fit rather than skipping it: skipping would reorder.
    while (count < this.#queue.length && count < this.#context.maxBatchRecords) {
      const next = this.#queue[count];
      if (!next) break;
      const slot = `${next.topic}:${next.partition}`;
      const slotBytes = (perPartition.get(slot) ?? 0) + next.size;
      if (count > 0 && (bytes + next.size > this.#context.maxBatchBytes || slotBytes > next.limit * 0.9))
        break;
      perPartition.set(slot, slotBytes);
      bytes += next.size;
      count += 1;
    }
    const batch = this.#queue.splice(0, count);
    this.#queuedBytes -= bytes;
    if (this.#queuedBytes <= this.#context.maxQueuedBytes)
      for (const waiter of this.#roomWaiters.splice(0)) waiter();
    try {
      for (const sent of await this.#context.sender.send(batch)) {
        const { topic, partition, offset, error } = sent;
        if (offset === undefined) {
          const reason = toBusError(
            error ?? new Error('no offset acknowledged'),
            `publish of ${sent.records.length} record(s) to ${topic}/${partition}`,
          );
          for (const p of sent.records) p.outcome?.fail(reason);
          continue;
        }
        // A partition's records are appended in the order sent, from the base offset.
        let next = offset;
        for (const p of sent.records) {
          p.outcome?.done(p.index, { topic, partition, offset: next });
          next += 1n;
        }
      }
    } catch (error) {
      const busError = toBusError(error, `publish of ${batch.length} record(s) to ${batch[0]?.topic}`);
      for (const p of batch) p.outcome?.fail(busError);
    } finally {
      this.#inFlight = false;
      void this.#sendNext();
    }
  }
}

/** A typed handle for publishing one topic under one OpenLineage job. */
export class Publisher<T> {
  readonly topic: TopicDef<T>;
  readonly job: string;
  readonly #queue: SendQueue;
  readonly #context: PublisherContext;
  readonly #partitionOf: (topic: string, key: Buffer) => number | Promise<number>;
  /** The `ol` header's text around its event time (ADR 0019). */
  readonly #lineagePrefix: string;
  readonly #lineageSuffix: string;
  #lineage: LineageAt | undefined;
  /** Key → partition. */
  readonly #partitionsByKey = new Map<string, number>();

  constructor(
    topic: TopicDef<T>,
    job: string,
    queue: SendQueue,
    context: PublisherContext,
    partitionOf: (topic: string, key: Buffer) => number | Promise<number>,
  ) {
    this.topic = topic;
    this.job = job;
    this.#queue = queue;
    this.#context = context;
    this.#partitionOf = partitionOf;
    const { prefix, suffix } = lineageHeaderParts({
      namespace: context.namespace,
      jobName: job,
      runId: context.runId,
      producer: context.producerUrl,
      schemaUrl: topic.schema.url,
    });
    this.#lineagePrefix = prefix;
    this.#lineageSuffix = suffix;
  }

  /** Resolves when the broker has the record on every in-sync replica (acks=all). */
  publish(record: PublishRecord<T>): Promise<PublishResult> {
    return this.publishMany([record]).then((results) => results[0] as PublishResult);
  }

  /** Resolves when the bus's send queue has room again (see SendQueue.room). */
  room(): Promise<void> {
    return this.#queue.room();
  }

  /**
   * Publishes in order; resolves when all are acknowledged, rejects on the first failure. Every
   * record is validated before any is sent.
   */
  async publishMany(records: readonly PublishRecord<T>[]): Promise<PublishResult[]> {
    const framed = records.map((record) => {
      this.#checkRecord(record);
      return this.#frame(record, encodePayload(this.topic.schema, record.value, this.topic.name));
    });
    return this.#enqueue(framed);
  }

  /**
   * Checks a value against this topic's registry schema and encodes it, once. For callers that
   * answer for each value (dead-letter what is invalid) and then publish the valid ones with
   * `publishValidated`.
   */
  validate(value: unknown): PayloadCheck<T> {
    return validatePayload(this.topic.schema, value);
  }

  /** Whether `value` came out of `validate` (of a publisher of this topic's schema). */
  readonly isValidated = (value: T): value is Validated<T> =>
    validatedBytes(this.topic.schema, value) !== undefined;

  /**
   * `publishMany` for values `validate` accepted: sends the bytes encoded when they were
   * validated, without validating them again. Rejects, before sending any, if a value did not come
   * out of `validate` with this topic's schema.
   */
  async publishValidated(records: readonly PublishRecord<Validated<T>>[]): Promise<PublishResult[]> {
    const framed = records.map((record) => {
      this.#checkRecord(record);
      const value = validatedBytes(this.topic.schema, record.value);
      if (!value)
        throw new BusError(
          BusErrorCode.InvalidPayload,
          `${this.topic.name}: publishValidated takes only values from validate() with schema ${this.topic.schema.id} v${this.topic.schema.version}`,
        );
      return this.#frame(record, value);
    });
    return this.#enqueue(framed);
  }

  async #enqueue(framed: Pending[]): Promise<PublishResult[]> {
    const partitions = framed.map((f) => this.#partitionOfKey(f.keyText, f.key));
    // Known partition counts (every publish after the first) queue synchronously, in call order.
    const known = partitions.every((p) => typeof p === 'number')
      ? (partitions as number[])
      : await Promise.all(partitions);
    return this.#queue.enqueue(framed, known);
  }

  #checkRecord(record: PublishRecord<unknown>): void {
    if (this.#context.isClosed()) throw new BusError(BusErrorCode.Closed, 'the data bus is closed');
    if (typeof record.key !== 'string' || record.key.length === 0) {
      throw new BusError(
        BusErrorCode.InvalidPayload,
        `${this.topic.name}: every record needs a non-empty string key`,
      );
    }
  }

  /**
   * The partition of a key: Java's murmur2 (as the client implements it, with BigInts) once per
   * key, then remembered. Keys are assets, so a publisher meets the same few thousand again and
   * again; the map is emptied if it ever holds more than KEYS_REMEMBERED.
   */
  #partitionOfKey(text: string, key: Buffer): number | Promise<number> {
    const known = this.#partitionsByKey.get(text);
    if (known !== undefined) return known;
    const partition = this.#partitionOf(this.topic.name, key);
    if (typeof partition === 'number') {
      if (this.#partitionsByKey.size >= KEYS_REMEMBERED) this.#partitionsByKey.clear();
      this.#partitionsByKey.set(text, partition);
    }
    return partition;
  }

  #frame(record: PublishRecord<unknown>, value: Buffer): Pending {
    const key = Buffer.from(record.key, 'utf8');
    const time = record.timestamp ?? Date.now();
    const eventTime = typeof time === 'number' ? time : time.getTime();
    const lineage = this.#lineageAt(eventTime);
    let headers = lineage.headers;
    let size = key.length + value.length + 70 + lineage.size;
    if (record.headers) {
      // The record's own headers first, then the lineage; the shared lineage map stays as it is.
      headers = new Map<Buffer, Buffer>();
      for (const [name, text] of Object.entries(record.headers)) {
        const k = Buffer.from(name);
        const v = Buffer.from(text);
        headers.set(k, v);
        size += k.length + v.length + 4;
      }
      for (const [k, v] of lineage.headers) headers.set(k, v);
    }
    if (size > this.topic.maxMessageBytes) {
      throw new BusError(
        BusErrorCode.TooLarge,
        `${this.topic.name}: a record of ${size} bytes exceeds the topic's limit of ${this.topic.maxMessageBytes} bytes (max.message.bytes in the registry)`,
        { size, limit: this.topic.maxMessageBytes },
      );
    }
    return {
      topic: this.topic.name,
      key,
      value,
      headers,
      timestamp: eventTime,
      size,
      limit: this.topic.maxMessageBytes,
      keyText: record.key,
      partition: 0,
      outcome: undefined,
      index: 0,
    };
  }

  /**
   * The lineage header of a record with this event time. It is the same for every record of this
   * publisher but the event time, so records of one millisecond share one map (the batch writer
   * only reads it).
   */
  #lineageAt(eventTime: number): LineageAt {
    if (this.#lineage?.eventTime === eventTime) return this.#lineage;
    const value = Buffer.from(
      `${this.#lineagePrefix}${JSON.stringify(rfc3339(new Date(eventTime)))}${this.#lineageSuffix}`,
      'utf8',
    );
    this.#lineage = {
      eventTime,
      headers: new Map<Buffer, Buffer>([[LINEAGE_KEY, value]]),
      size: LINEAGE_KEY.length + value.length + 4,
    };
    return this.#lineage;
  }
}

interface LineageAt {
  eventTime: number;
  headers: Map<Buffer, Buffer>;
  /** Bytes the headers add to a record. */
  size: number;
}

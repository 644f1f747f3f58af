import { BusError, BusErrorCode, type TopicDef } from '@openfoundry/bus-registry';
import type { Producer } from '@platformatic/kafka';
import { encodePayload } from './codec.ts';
import { toBusError } from './errors.ts';
import { LINEAGE_HEADERS, lineageHeaders, rfc3339 } from './lineage.ts';

const EVENT_TIME = Buffer.from(LINEAGE_HEADERS.eventTime);

export interface PublishRecord<T> {
  /** The record key: it picks the partition, so records with one key stay in order. */
  key: string;
  value: T;
  headers?: Record<string, string>;
  /** Event time; defaults to now. */
  timestamp?: Date;
}

export interface PublishResult {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface PublisherContext {
  producer: Producer;
  namespace: string;
  runId: string;
  producerUrl: string;
  /** Largest batch handed to the client at once. */
  maxBatchRecords: number;
  maxBatchBytes: number;
  /** Bytes queued before publish() waits for room. */
  maxQueuedBytes: number;
  isClosed: () => boolean;
}

interface Pending {
  topic: string;
  partition: number;
  /** The topic's max.message.bytes: one partition's share of a produce request must fit in it. */
  limit: number;
  key: Buffer;
  value: Buffer;
  headers: Map<Buffer, Buffer>;
  timestamp: bigint;
  size: number;
  resolve: (result: PublishResult) => void;
  reject: (error: Error) => void;
}

/**
 * The one sender of a DataBus. Idempotent produce keeps per-partition sequence numbers, and a
 * broker holds at most five unacknowledged batches per partition, so many concurrent send() calls
 * racing each other can reorder or, after a failed retry, duplicate records. This queue hands the
 * client one batch at a time: everything published while a batch is in flight goes into the next
 * one, which keeps order per key, lets the client retry a batch with its original sequence numbers,
 * and still batches well under load.
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

  /** Queues a record synchronously, so records keep the order of the calls that queued them. */
  enqueue(record: Omit<Pending, 'resolve' | 'reject'>): Promise<PublishResult> {
    if (this.#context.isClosed())
      return Promise.reject(new BusError(BusErrorCode.Closed, 'the data bus is closed'));
    return new Promise<PublishResult>((resolve, reject) => {
      this.#queue.push({ ...record, resolve, reject });
      this.#queuedBytes += record.size;
      this.#schedule();
    });
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
      const result = await this.#context.producer.send({
        messages: batch.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          key: p.key,
          value: p.value,
          headers: p.headers,
          timestamp: p.timestamp,
        })),
      });
      settle(batch, result.offsets ?? []);
    } catch (error) {
      const busError = toBusError(error, `publish of ${batch.length} record(s) to ${batch[0]?.topic}`);
      for (const p of batch) p.reject(busError);
    } finally {
      this.#inFlight = false;
      void this.#sendNext();
    }
  }
}

/**
 * Gives each record its offset. Within one produce request a partition's records are appended in
 * the order sent, from the base offset the broker reports for that partition.
 */
function settle(batch: Pending[], offsets: { topic: string; partition: number; offset: bigint }[]) {
  const base = new Map(offsets.map((o) => [`${o.topic}:${o.partition}`, o.offset]));
  const seen = new Map<string, bigint>();
  for (const p of batch) {
    const { partition } = p;
    const key = `${p.topic}:${partition}`;
    const start = base.get(key);
    if (start === undefined) {
      p.reject(
        new BusError(
          BusErrorCode.Unavailable,
          `${p.topic}: the broker acknowledged no offset for partition ${partition}`,
        ),
      );
      continue;
    }
    const index = seen.get(key) ?? 0n;
    seen.set(key, index + 1n);
    p.resolve({ topic: p.topic, partition, offset: start + index });
  }
}

/** A typed handle for publishing one topic under one OpenLineage job. */
export class Publisher<T> {
  readonly topic: TopicDef<T>;
  readonly job: string;
  readonly #queue: SendQueue;
  readonly #context: PublisherContext;
  readonly #partitionOf: (topic: string, key: Buffer) => number | Promise<number>;
  readonly #fixedHeaders: [Buffer, Buffer][];
  readonly #fixedHeadersSize: number;

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
    const { [LINEAGE_HEADERS.eventTime]: _eventTime, ...fixed } = lineageHeaders({
      namespace: context.namespace,
      jobName: job,
      runId: context.runId,
      eventTime: '',
      producer: context.producerUrl,
      schemaUrl: topic.schema.url,
    });
    fixed['content-type'] = topic.kind === 'dead-letter' ? 'application/octet-stream' : 'application/json';
    this.#fixedHeaders = Object.entries(fixed).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
    this.#fixedHeadersSize = this.#fixedHeaders.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  }

  /** Resolves when the broker has the record on every in-sync replica (acks=all). */
  publish(record: PublishRecord<T>): Promise<PublishResult> {
    let prepared: ReturnType<Publisher<T>['prepare']>;
    try {
      prepared = this.prepare(record);
    } catch (error) {
      return Promise.reject(error);
    }
    const partition = this.#partitionOf(prepared.topic, prepared.key);
    // Known partition counts (every publish after the first) queue synchronously, in call order.
    if (typeof partition === 'number') return this.#queue.enqueue({ ...prepared, partition });
    return partition.then((p) => this.#queue.enqueue({ ...prepared, partition: p }));
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
    const prepared = records.map((r) => this.prepare(r));
    const partitions = await Promise.all(prepared.map((p) => this.#partitionOf(p.topic, p.key)));
    return Promise.all(prepared.map((p, i) => this.#queue.enqueue({ ...p, partition: partitions[i] ?? 0 })));
  }

  private prepare(record: PublishRecord<T>) {
    if (this.#context.isClosed()) throw new BusError(BusErrorCode.Closed, 'the data bus is closed');
    if (typeof record.key !== 'string' || record.key.length === 0) {
      throw new BusError(
        BusErrorCode.InvalidPayload,
        `${this.topic.name}: every record needs a non-empty string key`,
      );
    }
    const value = encodePayload(this.topic.schema, record.value, this.topic.name);
    const key = Buffer.from(record.key, 'utf8');
    const eventTime = record.timestamp ?? new Date();
    const headerMap = new Map<Buffer, Buffer>();
    let size = key.length + value.length + 70;
    for (const [name, text] of Object.entries(record.headers ?? {})) {
      const k = Buffer.from(name);
      const v = Buffer.from(text);
      headerMap.set(k, v);
      size += k.length + v.length + 4;
    }
    // The lineage headers are the same for every record of this publisher but the event time.
    for (const [k, v] of this.#fixedHeaders) headerMap.set(k, v);
    const time = Buffer.from(rfc3339(eventTime));
    headerMap.set(EVENT_TIME, time);
    size += this.#fixedHeadersSize + EVENT_TIME.length + time.length + 4;
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
      headers: headerMap,
      timestamp: BigInt(eventTime.getTime()),
      size,
      limit: this.topic.maxMessageBytes,
    };
  }
}

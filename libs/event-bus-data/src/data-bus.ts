import { randomUUID } from 'node:crypto';
import {
  BusError,
  BusErrorCode,
  deadLetterTopicName,
  type Registry,
  type TopicDef,
} from '@openfoundry/bus-registry';
import { Consumer, murmur2, Producer } from '@platformatic/kafka';
import { z } from 'zod';
import { BatchConsumer, type BatchConsumerDeps, type ConsumeBatchesOptions } from './batch-consumer.ts';
import { BatchSender } from './batch-sender.ts';
import { type ConsumeOptions, DataConsumer } from './consumer.ts';
import { toBusError } from './errors.ts';
import { FetchLoop } from './fetch-loop.ts';
import { PartitionReader } from './partition-reader.ts';
import { Publisher, type PublisherContext, SendQueue } from './publisher.ts';
import type { ConsumerLog } from './records.ts';

export const dataBusOptionsSchema = z.object({
  /** The service this process is; it must own the topics it publishes. */
  service: z.string().min(1),
  /** `host:port` list. */
  brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1),
  username: z.string().min(1),
  password: z.string().min(1),
  /** OpenLineage namespace of this deployment. */
  namespace: z.string().min(1).default('openfoundry.local'),
  /** `ol-producer`: the URL of the producing software. */
  producerUrl: z.url().optional(),
  clientId: z.string().optional(),
  /** How long a produce batch is retried (with its original sequence numbers) before failing. */
  deliveryTimeoutMs: z.number().int().positive().default(60_000),
  /** How produced batches are compressed: zstd unless a caller needs plain batches (ADR 0029). */
  compression: z.enum(['zstd', 'none']).default('zstd'),
  maxQueuedBytes: z
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
});

export type DataBusOptions = z.input<typeof dataBusOptionsSchema> & {
  registry: Registry;
  logger?: DataBusLogger;
};

export interface DataBusLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const RETRY_DELAY_MS = 250;
/** How long a broker may wait for its in-sync replicas before answering a produce request. */
const PRODUCE_TIMEOUT_MS = 30_000;
/** ADR 0009: one partition must not fill a whole fetch, or the others starve behind it. */
const MAX_BYTES_PER_PARTITION = 1_048_576;
/** How long the broker holds a fetch that finds nothing new (a member's idle round trip). */
const FETCH_WAIT_MS = 500;

// Java-client-compatible partitioning (ADR 0003): murmur2, sign bit masked, modulo partitions.
const partitionFor = (key: Buffer, partitions: number) => (murmur2(key) & 0x7fffffff) % partitions;

/**
 * A service's connection to the data bus (Kafka). Publishers are idempotent with acks=all and one
 * batch in flight; consumers commit only after their handler resolved; every record carries the
 * OpenLineage headers. The Kafka client stays inside this class.
 */
export class DataBus {
  readonly service: string;
  readonly runId = randomUUID();
  readonly #registry: Registry;
  readonly #options: z.output<typeof dataBusOptionsSchema>;
  /** Finds the cluster and hands out producer ids; the sender writes the records (ADR 0027). */
  readonly #producer: Producer;
  readonly #sender: BatchSender;
  readonly #queue: SendQueue;
  readonly #context: PublisherContext;
  readonly #partitions = new Map<string, number | Promise<number>>();
  readonly #consumers = new Set<{ close(): Promise<void> }>();
  readonly #logger: DataBusLogger | undefined;
  #closed = false;

  private constructor(options: DataBusOptions) {
    const parsed = dataBusOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new BusError(
        BusErrorCode.InvalidPayload,
        `invalid data bus options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    this.#options = parsed.data;
    this.#registry = options.registry;
    this.#logger = options.logger;
    this.service = parsed.data.service;
    const clientId = this.#options.clientId ?? `${this.service}.producer`;
    this.#producer = new Producer({
      clientId,
      bootstrapBrokers: this.#options.brokers,
      sasl: this.#sasl(),
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
      retries: Math.ceil(this.#options.deliveryTimeoutMs / RETRY_DELAY_MS),
      retryDelay: RETRY_DELAY_MS,
      timeout: PRODUCE_TIMEOUT_MS,
    });
    this.#sender = new BatchSender({
      producer: this.#producer,
      clientId,
      connection: { sasl: this.#sasl() },
      deliveryTimeoutMs: this.#options.deliveryTimeoutMs,
      retryDelayMs: RETRY_DELAY_MS,
      requestTimeoutMs: PRODUCE_TIMEOUT_MS,
      compression: this.#options.compression,
    });
    this.#context = {
      sender: this.#sender,
      namespace: this.#options.namespace,
      runId: this.runId,
      producerUrl: this.#options.producerUrl ?? `https://openfoundry.dev/services/${this.service}`,
      maxBatchRecords: 16_384,
      maxBatchBytes: 4 * 1024 * 1024,
      maxQueuedBytes: this.#options.maxQueuedBytes,
      isClosed: () => this.#closed,
    };
    this.#queue = new SendQueue(this.#context);
  }

  /** Connects and checks the credentials by fetching cluster metadata. */
  static async connect(options: DataBusOptions): Promise<DataBus> {
    const bus = new DataBus(options);
    try {
      await bus.#producer.metadata({ topics: [], retries: 1 });
    } catch (error) {
      await bus.#sender.close();
      await bus.#producer.close().catch(() => {});
      throw toBusError(error, `data bus: ${bus.service} cannot connect to ${bus.#options.brokers.join(',')}`);
    }
    return bus;
  }

  /** Resolves when a broker answers a metadata request as this service (a readiness check). */
  async ping(): Promise<void> {
    if (this.#closed) throw new BusError(BusErrorCode.Closed, 'the data bus is closed');
    try {
      await this.#producer.metadata({ topics: [], forceUpdate: true, retries: 0 });
    } catch (error) {
      throw toBusError(error, 'data bus ping');
    }
  }

  /** The registry entry of a topic given by definition or name; throws for unknown names. */
  topic<T>(topic: TopicDef<T> | string): TopicDef<T> {
    const name = typeof topic === 'string' ? topic : topic.name;
    const found = this.#registry.topics.find((t) => t.name === name);
    if (!found) {
      throw new BusError(
        BusErrorCode.UnknownTopic,
        `topic "${name}" is not in the bus registry (infra/bus): declare it there and provision it before using it`,
        { topic: name },
      );
    }
    return found as TopicDef<T>;
  }

  /** A publisher for a topic this service owns, under a named OpenLineage job. */
  publisher<T>(topic: TopicDef<T> | string, options: { job: string }): Publisher<T> {
    const def = this.topic(topic);
    if (!options || typeof options.job !== 'string' || options.job.trim() === '') {
      throw new BusError(
        BusErrorCode.MissingLineage,
        `publisher for ${def.name}: every data-bus publish names its OpenLineage job ({ job: '<service>.<purpose>' })`,
        { topic: def.name },
      );
    }
    if (def.owner !== this.service) {
      throw new BusError(
        BusErrorCode.NotOwner,
        `${this.service} cannot publish ${def.name}: only its owner ${def.owner} may (bus registry)`,
        { topic: def.name, owner: def.owner },
      );
    }
    this.#loadPartitions(def.name);
    return new Publisher(def, options.job.trim(), this.#queue, this.#context, (name, key) => {
      const count = this.#partitions.get(name) ?? this.#loadPartitions(name);
      return typeof count === 'number' ? partitionFor(key, count) : count.then((n) => partitionFor(key, n));
    });
  }

  #loadPartitions(name: string): number | Promise<number> {
    const known = this.#partitions.get(name);
    if (known !== undefined) return known;
    const loading = this.#producer
      .metadata({ topics: [name] })
      .then((metadata) => {
        const count = metadata.topics.get(name)?.partitionsCount;
        if (!count) throw new BusError(BusErrorCode.UnknownTopic, `${name} has no partitions on the broker`);
        this.#partitions.set(name, count);
        return count;
      })
      .catch((error: unknown) => {
        this.#partitions.delete(name);
        throw toBusError(error, `topic ${name} (is it provisioned? npm run bus -- provision)`);
      });
    // Keep the rejection from being reported as unhandled when nobody publishes before it settles.
    loading.catch(() => {});
    this.#partitions.set(name, loading);
    return loading;
  }

  /**
   * Joins a consumer group declared for this service on the topic and hands every record to the
   * handler. Poison records go to the group's dead-letter topic.
   */
  async consume<T>(topic: TopicDef<T> | string, options: ConsumeOptions<T>): Promise<DataConsumer<T>> {
    return this.#join(topic, options.group, (deps) => new DataConsumer<T>(deps, options));
  }

  /**
   * Joins a consumer group declared for this service on the topic and hands records over in
   * batches (see `BatchConsumer`): for consumers whose durable step is cheaper per batch than per
   * record, or that commit offsets themselves after it (`commit: 'manual'`).
   */
  async consumeBatches<T>(
    topic: TopicDef<T> | string,
    options: ConsumeBatchesOptions<T>,
  ): Promise<BatchConsumer<T>> {
    return this.#join(topic, options.group, (deps) => new BatchConsumer<T>(deps, options));
  }

  async #join<T, C extends { start(): Promise<void>; close(): Promise<void> }>(
    topic: TopicDef<T> | string,
    group: string,
    create: (deps: BatchConsumerDeps<T>) => C,
  ): Promise<C> {
    const def = this.topic(topic);
    const declared = def.consumers.find((c) => c.group === group);
    if (!declared || declared.service !== this.service) {
      throw new BusError(
        BusErrorCode.NotDeclared,
        `${this.service} cannot consume ${def.name} as group "${group}": declare { service: '${this.service}', group: '${group}' } in the topic's consumers (bus registry)`,
        { topic: def.name, group },
      );
    }
    const dlqName = deadLetterTopicName(this.service, group);
    const dlq = this.#registry.topics.find((t) => t.name === dlqName && t.deadLetterOf === group);
    const client = this.#consumerClient(group, `${this.service}.${group}`);
    const log: ConsumerLog = (level, message, fields = {}) =>
      this.#logger?.[level]({ service: this.service, group, ...fields }, message);
    const consumer = create({
      topic: def,
      client,
      source: ({ mode, fallback, onRecords, onFailure }) =>
        new FetchLoop({
          client,
          clientId: `${this.service}.${group}`,
          connection: { sasl: this.#sasl() },
          topic: def.name,
          mode,
          fallback,
          maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
          maxWaitMs: FETCH_WAIT_MS,
          onRecords,
          onFailure,
          log,
        }),
      deadLetters: dlq ? this.#deadLetterPublisher(dlq as TopicDef<Uint8Array>, group) : undefined,
      log,
      // Never joins the group: it only fetches (its own connections and fetch session).
      reader: () =>
        new PartitionReader(this.#consumerClient(group, `${this.service}.${group}.reader`), def.name, {
          clientId: `${this.service}.${group}.reader`,
          options: { sasl: this.#sasl() },
        }),
    });
    try {
      await consumer.start();
    } catch (error) {
      await consumer.close();
      throw toBusError(error, `${this.service} consuming ${def.name} as ${group}`);
    }
    this.#consumers.add(consumer);
    return consumer;
  }

  #sasl() {
    return {
      mechanism: 'SCRAM-SHA-512' as const,
      username: this.#options.username,
      password: this.#options.password,
    };
  }

  #consumerClient(group: string, clientId: string): Consumer<Buffer, Buffer, Buffer, Buffer> {
    return new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId,
      groupId: group,
      bootstrapBrokers: this.#options.brokers,
      sasl: this.#sasl(),
      autocommit: false,
      autocreateTopics: false,
      maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 30_000,
      retries: 10,
      retryDelay: RETRY_DELAY_MS,
    });
  }

  #deadLetterPublisher(topic: TopicDef<Uint8Array>, group: string): Publisher<Uint8Array> {
    return this.publisher(topic, { job: `${group}.dead-letter` });
  }

  /** Waits until every queued record is acknowledged (or failed). */
  flush(): Promise<void> {
    return this.#queue.idle();
  }

  /** Flushes publishers, closes consumers (letting handlers finish), then disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await Promise.allSettled([...this.#consumers].map((c) => c.close()));
    await this.#queue.idle();
    this.#closed = true;
    await this.#sender.close();
    await this.#producer.close().catch(() => {});
  }
}

import {
  type BusMessage,
  type MessageHandler,
  PoisonMessageError,
  type TopicDef,
} from '@openfoundry/bus-registry';
import type { Consumer } from '@platformatic/kafka';
import { openSource, type RecordSource, type RecordSourceFactory } from './batch-consumer.ts';
import { decodePayload, isBytesSchema } from './codec.ts';
import type { Publisher } from './publisher.ts';
import {
  type ConsumerLog,
  type DeadLetterTarget,
  deadLetter,
  deadLetterTarget,
  endOffsetsOf,
  headersOf,
  type RawRecord,
  ReceivedRecord,
  sleep,
} from './records.ts';

export interface ConsumeOptions<T> {
  /** A consumer group declared for this service in the topic's registry entry. */
  group: string;
  handler: MessageHandler<T>;
  /** Where a group with no committed offset starts. Default: the beginning. */
  from?: 'earliest' | 'latest';
  /**
   * `committed` (default): resume from the group's committed offsets (`from` when it has none).
   * `latest`: a newly assigned partition starts at its end, whatever was committed (one kept through
   * a rebalance carries on where it was) — for live pushes where only what arrives from now on
   * matters.
   */
  start?: 'committed' | 'latest';
  /** Validate payloads against the registry schema; a violation is dead-lettered. Default true. */
  validate?: boolean;
  /** Attempts per record before it is dead-lettered. Default 3. */
  maxAttempts?: number;
  /** Delay before the n-th retry is `retryDelayMs * 2^(n-1)`. Default 200 ms. */
  retryDelayMs?: number;
  /** Records handled at once across partitions (one at a time within a partition). Default 64. */
  maxInFlight?: number;
}

export interface ConsumerStats {
  handled: number;
  retried: number;
  deadLettered: number;
}

export interface DataConsumerDeps<T> {
  topic: TopicDef<T>;
  /** The group member: membership, assignments, offsets and commits. */
  client: Consumer<Buffer, Buffer, Buffer, Buffer>;
  /** Where the member's records come from: its own fetch loop (ADR 0026). */
  source: RecordSourceFactory;
  deadLetters: Publisher<Uint8Array> | undefined;
  log: ConsumerLog;
}

// How long handled offsets wait to be committed together.
const COMMIT_INTERVAL_MS = 20;

/**
 * One consumer group member. Records of a partition are handled strictly one after another; a
 * record's offset is committed only after its handler resolved or it was dead-lettered and the
 * dead-letter write was acknowledged. A crash anywhere before that redelivers the record.
 */
export class DataConsumer<T> {
  readonly stats: ConsumerStats = { handled: 0, retried: 0, deadLettered: 0 };
  readonly #deadLetters: DeadLetterTarget;
  readonly #deps: DataConsumerDeps<T>;
  readonly #options: Required<Omit<ConsumeOptions<T>, 'handler' | 'group'>> & ConsumeOptions<T>;
  #source: RecordSource | undefined;
  #chains = new Map<number, Promise<void>>();
  #inFlight = 0;
  #closing = false;
  #failure: Error | undefined;
  #commits = new Set<Promise<void>>();
  readonly #decode: { validate: boolean; bytesSchema: boolean };
  /** Per partition, the offset after its last handled record, not committed yet. */
  #toCommit = new Map<number, bigint>();
  #commitTimer: NodeJS.Timeout | undefined;

  constructor(deps: DataConsumerDeps<T>, options: ConsumeOptions<T>) {
    this.#deps = deps;
    this.#deadLetters = deadLetterTarget(deps, options.group, () => this.#closing);
    this.#decode = { validate: options.validate ?? true, bytesSchema: isBytesSchema(deps.topic.schema) };
    this.#options = {
      from: 'earliest',
      start: 'committed',
      validate: true,
      maxAttempts: 3,
      retryDelayMs: 200,
      maxInFlight: 64,
      ...options,
    };
  }

  /** Joins the group and starts handling; resolves once the first assignment is placed. */
  async start(): Promise<void> {
    this.#source = await openSource(
      this.#deps,
      this.#options,
      (record) => this.#dispatch(record),
      (error) => {
        if (this.#closing) return false;
        this.#failure = error;
        return true;
      },
    );
  }

  /**
   * The end of every partition of the topic (the offset the next record written will get), for lag:
   * end minus the offset a service has durably handled up to.
   */
  endOffsets(): Promise<Map<number, bigint>> {
    return endOffsetsOf(this.#deps.client, this.#deps.topic.name);
  }

  /** The error that stopped the stream, if one did. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  #dispatch(message: RawRecord) {
    if (this.#closing) return;
    this.#inFlight += 1;
    // Stops the next fetch; the records of one already answered are all dispatched.
    if (this.#inFlight >= this.#options.maxInFlight) this.#source?.pause();
    const previous = this.#chains.get(message.partition) ?? Promise.resolve();
    const next = previous
      .then(() => this.#handle(message))
      .catch((error: Error) => {
        // Only a record that can neither be handled nor dead-lettered gets here. Skipping it
        // would let later commits move past it, so the consumer stops with the offset unmoved.
        this.#failure = error;
        this.#closing = true;
        this.#source?.pause();
        this.#deps.log('error', 'data bus consumer stopped', {
          topic: this.#deps.topic.name,
          error: error.message,
        });
      });
    this.#chains.set(message.partition, next);
    void next.finally(() => {
      this.#inFlight -= 1;
      if (this.#inFlight < this.#options.maxInFlight / 2 && !this.#closing) this.#source?.resume();
      if (this.#chains.get(message.partition) === next) this.#chains.delete(message.partition);
    });
  }

  async #handle(message: RawRecord): Promise<void> {
    if (this.#closing) return; // not committed: the next owner of the partition gets it again
    const { topic } = this.#deps;
    const position = `${message.partition}:${message.offset}`;
    const decoded = decodePayload(topic.schema, message.value ?? Buffer.alloc(0), this.#decode);
    if (!decoded.ok) {
      await this.#deadLetter(message, headersOf(message), decoded.reason, decoded.detail);
      return;
    }
    const first = new ReceivedRecord(topic.name, message, decoded.value);
    for (let attempt = 1; ; attempt++) {
      const busMessage: BusMessage<T> = attempt === 1 ? first : first.again(attempt);
      try {
        await this.#options.handler(busMessage);
        this.stats.handled += 1;
        this.#commit(message);
        return;
      } catch (error) {
        if (this.#closing) return;
        const poison = error instanceof PoisonMessageError;
        if (poison || attempt >= this.#options.maxAttempts) {
          await this.#deadLetter(
            message,
            headersOf(message),
            poison ? 'poison' : 'handler-failed',
            `${(error as Error).message} (after ${attempt} attempt${attempt === 1 ? '' : 's'})`,
          );
          return;
        }
        this.stats.retried += 1;
        this.#deps.log('warn', 'handler failed; retrying', {
          topic: topic.name,
          position,
          attempt,
          error: (error as Error).message,
        });
        await sleep(this.#options.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  async #deadLetter(
    message: RawRecord,
    headers: Record<string, string>,
    reason: string,
    detail: string,
  ): Promise<void> {
    const moved = await deadLetter(this.#deadLetters, message, headers, reason, detail);
    if (!moved) return;
    this.stats.deadLettered += 1;
    this.#commit(message);
  }

  /**
   * Marks the record handled. Offsets are committed in the background, in one request for the
   * latest handled record of each partition at most every COMMIT_INTERVAL_MS (committing offset n
   * covers everything before it, and a partition's records finish in order), so handling never
   * waits a round trip.
   */
  #commit(message: RawRecord): void {
    this.#toCommit.set(message.partition, message.offset + 1n);
    if (this.#commitTimer) return;
    this.#commitTimer = setTimeout(() => {
      this.#commitTimer = undefined;
      this.#flushCommits();
    }, COMMIT_INTERVAL_MS);
  }

  #flushCommits(): void {
    if (this.#toCommit.size === 0) return;
    const topic = this.#deps.topic.name;
    const offsets = [...this.#toCommit].map(([partition, offset]) => ({
      topic,
      partition,
      offset,
      leaderEpoch: -1,
    }));
    this.#toCommit.clear();
    const pending = this.#deps.client.commit({ offsets }).catch((error: Error) => {
      // A commit lost to a rebalance is harmless: the partition's next owner redelivers.
      this.#deps.log('warn', 'offset commit failed; records may be delivered again', {
        topic,
        positions: offsets.map((o) => `${o.partition}:${o.offset}`),
        error: error.message,
      });
    });
    this.#commits.add(pending);
    void pending.finally(() => this.#commits.delete(pending));
  }

  /** Stops taking records, lets handlers in progress finish and commit, then leaves the group. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#source?.pause();
    await Promise.allSettled([...this.#chains.values()]);
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    this.#flushCommits();
    await Promise.allSettled([...this.#commits]);
    await this.#source?.close().catch(() => {});
    await this.#deps.client.close().catch(() => {});
  }
}

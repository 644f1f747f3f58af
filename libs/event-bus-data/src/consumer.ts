import {
  type BusMessage,
  type MessageHandler,
  PoisonMessageError,
  type TopicDef,
} from '@openfoundry/bus-registry';
import type { Consumer, Message, MessagesStream } from '@platformatic/kafka';
import { decodePayload, isBytesSchema } from './codec.ts';
import type { Publisher } from './publisher.ts';
import {
  type ConsumerLog,
  type DeadLetterTarget,
  deadLetter,
  deadLetterTarget,
  endOffsetsOf,
  headersOf,
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
   * `latest`: every assignment starts at the end of its partition, whatever was committed — for
   * live pushes where only what arrives from now on matters.
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
  client: Consumer<Buffer, Buffer, Buffer, Buffer>;
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
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #chains = new Map<number, Promise<void>>();
  #inFlight = 0;
  #closing = false;
  #failure: Error | undefined;
  #commits = new Set<Promise<void>>();
  readonly #decode: { validate: boolean; bytesSchema: boolean };
  #toCommit = new Map<number, Message<Buffer, Buffer, Buffer, Buffer>>();
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

  /** Joins the group and starts handling; resolves once the stream is open. */
  async start(): Promise<void> {
    const stream = await this.#deps.client.consume({
      topics: [this.#deps.topic.name],
      mode: this.#options.start === 'latest' ? 'latest' : 'committed',
      fallbackMode: this.#options.from,
      autocommit: false,
      // Records must reach the handler as raw bytes: decoding and validation are ours.
      onDeserializationError: () => 'continue',
    });
    this.#stream = stream;
    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => this.#dispatch(message));
    stream.on('error', (error: Error) => {
      if (this.#closing) return;
      this.#failure = error;
      this.#deps.log('error', 'data bus consumer stream failed', {
        topic: this.#deps.topic.name,
        error: error.message,
      });
    });
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

  #dispatch(message: Message<Buffer, Buffer, Buffer, Buffer>) {
    if (this.#closing) return;
    this.#inFlight += 1;
    if (this.#inFlight >= this.#options.maxInFlight) this.#stream?.pause();
    const previous = this.#chains.get(message.partition) ?? Promise.resolve();
    const next = previous
      .then(() => this.#handle(message))
      .catch((error: Error) => {
        // Only a record that can neither be handled nor dead-lettered gets here. Skipping it
        // would let later commits move past it, so the consumer stops with the offset unmoved.
        this.#failure = error;
        this.#closing = true;
        this.#stream?.pause();
        this.#deps.log('error', 'data bus consumer stopped', {
          topic: this.#deps.topic.name,
          error: error.message,
        });
      });
    this.#chains.set(message.partition, next);
    void next.finally(() => {
      this.#inFlight -= 1;
      if (this.#inFlight < this.#options.maxInFlight / 2 && !this.#closing) this.#stream?.resume();
      if (this.#chains.get(message.partition) === next) this.#chains.delete(message.partition);
    });
  }

  async #handle(message: Message<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
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
    message: Message<Buffer, Buffer, Buffer, Buffer>,
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
   * Marks the record handled. Offsets are committed in the background, at most one commit per
   * partition per tick for the latest handled record (committing offset n covers everything
   * before it, and a partition's records finish in order), so handling never waits a round trip.
   */
  #commit(message: Message<Buffer, Buffer, Buffer, Buffer>): void {
    this.#toCommit.set(message.partition, message);
    if (this.#commitTimer) return;
    this.#commitTimer = setTimeout(() => {
      this.#commitTimer = undefined;
      this.#flushCommits();
    }, COMMIT_INTERVAL_MS);
  }

  #flushCommits(): void {
    for (const message of this.#toCommit.values()) {
      const pending = Promise.resolve(message.commit()).catch((error: Error) => {
        // A commit lost to a rebalance is harmless: the partition's next owner redelivers.
        this.#deps.log('warn', 'offset commit failed; records may be delivered again', {
          topic: this.#deps.topic.name,
          position: `${message.partition}:${message.offset}`,
          error: error.message,
        });
      });
      this.#commits.add(pending);
      void pending.finally(() => this.#commits.delete(pending));
    }
    this.#toCommit.clear();
  }

  /** Stops taking records, lets handlers in progress finish and commit, then leaves the group. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#stream?.pause();
    await Promise.allSettled([...this.#chains.values()]);
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    this.#flushCommits();
    await Promise.allSettled([...this.#commits]);
    await this.#stream?.close().catch(() => {});
    await this.#deps.client.close().catch(() => {});
  }
}

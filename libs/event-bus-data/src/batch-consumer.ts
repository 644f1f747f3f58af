import type { BusMessage, RepeatRule, TopicDef } from '@openfoundry/bus-registry';
import type { Consumer } from '@platformatic/kafka';
import { decodePayload, isBytesSchema } from './codec.ts';
import type { PartitionReader } from './partition-reader.ts';
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
import { RepeatWindow, repeatIdOf } from './repeat-window.ts';

const EMPTY = Buffer.alloc(0);

export interface DataRecord<T> extends BusMessage<T> {
  readonly partition: number;
  readonly offset: bigint;
  /** Key and value bytes. */
  readonly size: number;
  /** The value as it arrived: the UTF-8 JSON the writer sent (a slice of the fetched bytes, not a copy). */
  readonly bytes: Buffer;
}

export interface DataBatch<T> {
  /** Offset order within each partition. */
  readonly records: readonly DataRecord<T>[];
  /** For every partition in the batch: the offset after its last record, dead-lettered ones included. */
  readonly nextOffsets: ReadonlyMap<number, bigint>;
}

export interface ConsumeBatchesOptions<T> {
  /** A consumer group declared for this service in the topic's registry entry. */
  group: string;
  /** Batches are handed over one at a time; resolving means the batch is durably handled. */
  handler: (batch: DataBatch<T>) => Promise<void>;
  /**
   * `after-handler` (default): the batch's offsets are committed once the handler resolved.
   * `manual`: nothing is committed until `commit()` is called, after the service's own durable step.
   */
  commit?: 'after-handler' | 'manual';
  /**
   * `committed` (default): resume from the group's committed offsets (`from` when it has none).
   * `earliest`: every assignment starts at the beginning of the partition — a replay.
   */
  start?: 'committed' | 'earliest';
  /** Where a group without committed offsets starts. Default: the beginning. */
  from?: 'earliest' | 'latest';
  /** Validate payloads against the registry schema; a violation is dead-lettered. Default true. */
  validate?: boolean;
  maxRecords?: number;
  /**
   * How long the oldest record of a batch waits for more, also while the handler is busy with the
   * previous batch (so batches stay large under load). 0: only for the rest of the fetch it came
   * with (one macrotask) — batches then grow by themselves while the handler is busy, and a record
   * arriving at an idle consumer goes out at once.
   */
  maxWaitMs?: number;
  maxBytes?: number;
  /** Handler attempts per batch before the consumer stops (uncommitted). Default 10. */
  maxAttempts?: number;
  /**
   * `skip`: records the topic's repeat rule (registry `repeats`, ADR 0016) marks as repeats never
   * reach the handler; their offsets still move. Needs a topic that declares the rule. Default
   * `deliver`.
   */
  repeats?: 'skip' | 'deliver';
}

export interface BatchConsumerStats {
  batches: number;
  records: number;
  deadLettered: number;
  retried: number;
  /** Records skipped as repeats of an earlier one (`repeats: 'skip'`). */
  repeats: number;
}

export interface BatchConsumerDeps<T> {
  topic: TopicDef<T>;
  /** The group member: membership, assignments, offsets and commits. */
  client: Consumer<Buffer, Buffer, Buffer, Buffer>;
  /** Where the member's records come from: the group member's own fetch loop (ADR 0026). */
  source: RecordSourceFactory;
  deadLetters: Publisher<Uint8Array> | undefined;
  log: ConsumerLog;
  /** A reader of the topic's partitions outside the group (for rebuilding repeat windows). */
  reader?: () => PartitionReader;
}

/** Records in fetch order; paused while a full batch waits for the handler. */
export interface RecordSource {
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export type RecordSourceFactory = (options: {
  /**
   * `committed`: resume at the group's offsets; `earliest`: every assignment from the start;
   * `latest`: every assignment from the end.
   */
  mode: 'committed' | 'earliest' | 'latest';
  /** Where a partition without a committed offset starts. */
  fallback: 'earliest' | 'latest';
  onRecords: (records: readonly RawRecord[]) => void;
  onFailure: (error: Error) => void;
}) => RecordSource;

/**
 * Opens a group member's record source and starts it: every record goes to `take`, in fetch
 * order. A failure the source cannot get past goes to `failed`, which answers whether it stopped
 * the consumer (false while it closes anyway); one that did is logged.
 */
export async function openSource(
  deps: { source: RecordSourceFactory; topic: { name: string }; log: ConsumerLog },
  options: { start: 'committed' | 'earliest' | 'latest'; from: 'earliest' | 'latest' },
  take: (record: RawRecord) => void,
  failed: (error: Error) => boolean,
): Promise<RecordSource> {
  const source = deps.source({
    mode: options.start,
    fallback: options.from,
    onRecords: (records) => {
      for (const record of records) take(record);
    },
    onFailure: (error) => {
      if (failed(error))
        deps.log('error', 'data bus consumer stream failed', {
          topic: deps.topic.name,
          error: error.message,
        });
    },
  });
  await source.start();
  return source;
}

const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 5_000;

/**
 * One consumer group member handing records over in batches. Records of a batch are decoded and
 * validated first; the ones that fail go to the group's dead-letter topic (acknowledged) and never
 * reach the handler. Offsets move only after the handler resolved (or, in manual mode, when the
 * service commits them), so a crash anywhere before that redelivers the whole batch.
 */
export class BatchConsumer<T> {
  readonly stats: BatchConsumerStats = { batches: 0, records: 0, deadLettered: 0, retried: 0, repeats: 0 };
  readonly #deadLetters: DeadLetterTarget;
  readonly #deps: BatchConsumerDeps<T>;
  readonly #options: Required<ConsumeBatchesOptions<T>>;
  readonly #bytesSchema: boolean;
  #source: RecordSource | undefined;
  #pending: RawRecord[] = [];
  #pendingBytes = 0;
  /** When the oldest pending record arrived. */
  #pendingSince = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #running: Promise<void> | undefined;
  #closing = false;
  #failure: Error | undefined;
  readonly #repeatRule: RepeatRule | undefined;
  /** Per partition, what its last offsets carried (only with `repeats: 'skip'`). */
  readonly #windows = new Map<number, RepeatWindow>();
  #reader: PartitionReader | undefined;

  constructor(deps: BatchConsumerDeps<T>, options: ConsumeBatchesOptions<T>) {
    this.#deps = deps;
    this.#deadLetters = deadLetterTarget(deps, options.group, () => this.#closing);
    this.#bytesSchema = isBytesSchema(deps.topic.schema);
    this.#options = {
      commit: 'after-handler',
      start: 'committed',
      from: 'earliest',
      validate: true,
      maxRecords: 5_000,
      maxWaitMs: 50,
      maxBytes: 16 * 1024 * 1024,
      maxAttempts: 10,
      repeats: 'deliver',
      ...options,
    };
    if (this.#options.repeats === 'skip') {
      if (!deps.topic.repeats || !deps.reader) {
        throw new Error(
          `${deps.topic.name} declares no repeat rule (registry \`repeats\`); it cannot skip repeats`,
        );
      }
      this.#repeatRule = deps.topic.repeats;
    }
  }

  async start(): Promise<void> {
    this.#source = await openSource(
      this.#deps,
      this.#options,
      (record) => this.#take(record),
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

  /** The error that stopped the consumer, if one did. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  #take(message: RawRecord) {
    if (this.#closing || this.#failure) return;
    if (this.#pending.length === 0) this.#pendingSince = Date.now();
    this.#pending.push(message);
    this.#pendingBytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
    if (this.#full()) {
      // The next batch is complete: stop fetching until the handler has taken it.
      this.#source?.pause();
      this.#kick();
    } else if (this.#options.maxWaitMs === 0) {
      if (!this.#immediate)
        this.#immediate = setImmediate(() => {
          this.#immediate = undefined;
          this.#kick();
        });
    } else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, this.#options.maxWaitMs);
    }
  }

  /** Starts the handler loop unless it runs already; it drains whatever is pending. */
  #kick() {
    if (this.#running || this.#pending.length === 0) return;
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /**
   * The oldest pending records up to maxRecords and maxBytes (one fetch can bring more than a
   * batch); the rest stay pending, already due.
   */
  #nextBatch(): RawRecord[] {
    const pending = this.#pending;
    let count = 0;
    let bytes = 0;
    while (count < pending.length && count < this.#options.maxRecords) {
      const record = pending[count] as RawRecord;
      const size = (record.key?.length ?? 0) + (record.value?.length ?? 0);
      if (count > 0 && bytes + size > this.#options.maxBytes) break;
      bytes += size;
      count++;
    }
    if (count === pending.length) {
      this.#pending = [];
      this.#pendingBytes = 0;
      return pending;
    }
    this.#pending = pending.slice(count);
    this.#pendingBytes -= bytes;
    return pending.slice(0, count);
  }

  #full(): boolean {
    return this.#pending.length >= this.#options.maxRecords || this.#pendingBytes >= this.#options.maxBytes;
  }

  /** Whether the pending records make a batch now: full, or the oldest has waited maxWaitMs. */
  #due(): boolean {
    if (this.#pending.length === 0) return false;
    if (this.#options.maxWaitMs === 0) return true;
    return this.#full() || Date.now() - this.#pendingSince >= this.#options.maxWaitMs;
  }

  async #loop(): Promise<void> {
    // The first batch is due (a timer or a full batch kicked the loop); the ones that gathered while
    // a handler ran wait like any other, so batches stay large under load.
    let first = true;
    while ((first || this.#due()) && this.#pending.length > 0 && !this.#closing && !this.#failure) {
      first = false;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      const raw = this.#nextBatch();
      // One fetch can bring more than a batch: fetch again only once what is left is not a batch.
      if (!this.#closing && !this.#full()) this.#source?.resume();
      try {
        await this.#process(raw);
      } catch (error) {
        this.#failure = error as Error;
        this.#source?.pause();
        this.#deps.log('error', 'data bus batch consumer stopped', {
          topic: this.#deps.topic.name,
          error: (error as Error).message,
        });
      }
    }
    // Records left waiting get a timer for the rest of their wait (one that fired meanwhile is gone).
    if (this.#pending.length > 0 && !this.#closing && !this.#failure && !this.#timer && !this.#immediate) {
      const rest = Math.max(0, this.#pendingSince + this.#options.maxWaitMs - Date.now());
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, rest);
    }
  }

  async #process(raw: RawRecord[]): Promise<void> {
    const { topic } = this.#deps;
    /** Per partition, the batch's last offset (the next offsets follow after the loop). */
    const lastOffsets = new Map<number, bigint>();
    const records: ReceivedRecord<T>[] = [];
    const poison: Promise<boolean>[] = [];
    for (const message of raw) {
      lastOffsets.set(message.partition, message.offset);
      const decoded = decodePayload(topic.schema, message.value ?? EMPTY, {
        validate: this.#options.validate,
        bytesSchema: this.#bytesSchema,
      });
      if (this.#repeatRule) {
        // Every offset enters the window, dead letters too (without an id), so it stays contiguous.
        const id = decoded.ok ? repeatIdOf(this.#repeatRule, decoded.value) : undefined;
        const repeat =
          this.#windows.get(message.partition)?.check(message.offset, id) ??
          (await this.#rebuildWindow(message.partition, message.offset)).check(message.offset, id);
        if (repeat) {
          this.stats.repeats += 1;
          continue;
        }
      }
      if (!decoded.ok) {
        poison.push(this.#deadLetter(message, headersOf(message), decoded.reason, decoded.detail));
        continue;
      }
      records.push(new ReceivedRecord(topic.name, message, decoded.value));
    }
    const nextOffsets = new Map<number, bigint>();
    for (const [partition, offset] of lastOffsets) nextOffsets.set(partition, offset + 1n);
    // Dead letters must be acknowledged before any offset past them can move.
    if (!(await Promise.all(poison)).every(Boolean)) return;
    for (let attempt = 1; ; attempt++) {
      if (this.#closing) return;
      const batch: DataBatch<T> = {
        records: attempt === 1 ? records : records.map((r) => r.again(attempt)),
        nextOffsets,
      };
      try {
        // A manual committer gets empty batches too: only it knows how far its offsets may move.
        if (records.length > 0 || this.#options.commit === 'manual') await this.#options.handler(batch);
        break;
      } catch (error) {
        if (attempt >= this.#options.maxAttempts) {
          throw new Error(
            `batch handler failed ${attempt} times; stopped without committing: ${(error as Error).message}`,
            { cause: error },
          );
        }
        this.stats.retried += 1;
        this.#deps.log('warn', 'batch handler failed; retrying', {
          topic: topic.name,
          attempt,
          records: records.length,
          error: (error as Error).message,
        });
        await sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1)));
      }
    }
    this.stats.batches += 1;
    this.stats.records += records.length;
    if (this.#options.commit === 'after-handler') await this.commit(nextOffsets);
  }

  /**
   * A window for `partition` that ends just before `offset`: the records of up to a rule's window
   * before it, read again from the partition. Needed when a partition is first seen, and when
   * records arrive that do not continue the window held (the partition came back after another
   * member moved it on, or a fetch restarted further back than the window reaches).
   */
  async #rebuildWindow(partition: number, offset: bigint): Promise<RepeatWindow> {
    const rule = this.#repeatRule as RepeatRule;
    this.#reader ??= (this.#deps.reader as () => PartitionReader)();
    const started = performance.now();
    const earliest = await this.#reader.earliest(partition);
    const back = offset - BigInt(rule.window);
    const from = back > earliest ? back : earliest;
    const window = new RepeatWindow(rule.window, from);
    const decode = { validate: this.#options.validate, bytesSchema: this.#bytesSchema };
    await this.#reader.read(partition, from, offset, (at, value) => {
      while (window.next < at) window.append(undefined);
      const decoded = decodePayload(this.#deps.topic.schema, value ?? EMPTY, decode);
      window.append(decoded.ok ? repeatIdOf(rule, decoded.value) : undefined);
    });
    while (window.next < offset) window.append(undefined);
    this.#windows.set(partition, window);
    this.#deps.log('info', 'repeat window rebuilt', {
      topic: this.#deps.topic.name,
      partition,
      from: String(from),
      to: String(offset),
      ms: Math.round(performance.now() - started),
    });
    return window;
  }

  async #deadLetter(
    message: RawRecord,
    headers: Record<string, string>,
    reason: string,
    detail: string,
  ): Promise<boolean> {
    const moved = await deadLetter(this.#deadLetters, message, headers, reason, detail);
    if (moved) this.stats.deadLettered += 1;
    return moved;
  }

  /**
   * Commits the next offset to read for each partition. A commit for a partition this member no
   * longer owns is refused by the broker; that is harmless (the next owner redelivers), so it is
   * logged, not thrown.
   */
  async commit(nextOffsets: ReadonlyMap<number, bigint>): Promise<void> {
    if (nextOffsets.size === 0) return;
    const offsets = [...nextOffsets].map(([partition, offset]) => ({
      topic: this.#deps.topic.name,
      partition,
      offset,
      leaderEpoch: -1,
    }));
    try {
      await this.#deps.client.commit({ offsets });
    } catch (error) {
      this.#deps.log('warn', 'offset commit failed; records may be delivered again', {
        topic: this.#deps.topic.name,
        partitions: [...nextOffsets.keys()],
        error: (error as Error).message,
      });
    }
  }

  /** Stops taking records, lets the running batch finish (and commit), then leaves the group. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#source?.pause();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    // The batch in the handler finishes; records not yet handed over are redelivered later.
    const running = this.#running;
    this.#closing = true;
    await running?.catch(() => {});
    await this.#source?.close().catch(() => {});
    await this.#reader?.close();
    await this.#deps.client.close().catch(() => {});
  }
}

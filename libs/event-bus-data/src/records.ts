import type { BusMessage, Lineage } from '@openfoundry/bus-registry';
import type { Consumer } from '@platformatic/kafka';
import { LINEAGE_HEADER, parseLineage } from './lineage.ts';
import type { Publisher } from './publisher.ts';

/** A record as fetched: the client's messages and our own fetch loop's records both have this shape. */
export interface RawRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null | undefined;
  readonly value: Buffer | null | undefined;
  /** Epoch milliseconds. */
  readonly timestamp: bigint;
  readonly headers: Iterable<readonly [Buffer, Buffer]>;
}

export const headersOf = (message: RawRecord): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [k, v] of message.headers) headers[k.toString('utf8')] = v.toString('utf8');
  return headers;
};

/**
 * A received record as handlers see it. Headers, lineage, position and timestamp are derived on
 * access: most handlers never read them.
 */
export class ReceivedRecord<T> implements BusMessage<T> {
  readonly bus = 'data' as const;
  readonly source: string;
  readonly value: T;
  readonly attempt: number;
  readonly partition: number;
  readonly offset: bigint;
  /** Key and value bytes. */
  readonly size: number;
  readonly #message: RawRecord;
  #headers: Record<string, string> | undefined;
  #lineage: Lineage | undefined | null = null;
  #key: string | undefined | null = null;

  constructor(source: string, message: RawRecord, value: T, attempt = 1) {
    this.source = source;
    this.#message = message;
    this.value = value;
    this.attempt = attempt;
    this.partition = message.partition;
    this.offset = message.offset;
    this.size = (message.key?.length ?? 0) + (message.value?.length ?? 0);
  }

  /** The record key as text, decoded when first read (most handlers never do). */
  get key(): string | undefined {
    if (this.#key === null) this.#key = this.#message.key?.toString('utf8');
    return this.#key;
  }

  get position(): string {
    return `${this.partition}:${this.offset}`;
  }

  /** The value as it arrived: the UTF-8 JSON the writer sent (a slice of the fetched bytes, not a copy). */
  get bytes(): Buffer {
    return this.#message.value ?? EMPTY;
  }

  get timestamp(): Date {
    return new Date(Number(this.#message.timestamp));
  }

  get headers(): Readonly<Record<string, string>> {
    this.#headers ??= headersOf(this.#message);
    return this.#headers;
  }

  get lineage(): Lineage | undefined {
    if (this.#lineage === null) this.#lineage = parseLineage(this.headers);
    return this.#lineage;
  }

  /** The same record delivered again. */
  again(attempt: number): ReceivedRecord<T> {
    return new ReceivedRecord(this.source, this.#message, this.value, attempt);
  }
}

const EMPTY = Buffer.alloc(0);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type ConsumerLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export interface DeadLetterTarget {
  topic: string;
  group: string;
  deadLetters: Publisher<Uint8Array> | undefined;
  log: ConsumerLog;
  /** Stops the retry loop (the consumer is closing; the record stays uncommitted). */
  closing: () => boolean;
}

/** A consumer's dead-letter target, built once per consumer. */
export function deadLetterTarget(
  deps: { topic: { name: string }; deadLetters: Publisher<Uint8Array> | undefined; log: ConsumerLog },
  group: string,
  closing: () => boolean,
): DeadLetterTarget {
  return { topic: deps.topic.name, group, deadLetters: deps.deadLetters, log: deps.log, closing };
}

/**
 * Moves one record to the group's dead-letter topic with its reason, retrying until the write is
 * acknowledged: only then may its offset be committed. Returns false when the consumer closed first.
 */
export async function deadLetter(
  target: DeadLetterTarget,
  message: RawRecord,
  headers: Record<string, string>,
  reason: string,
  detail: string,
): Promise<boolean> {
  const position = `${message.partition}:${message.offset}`;
  if (!target.deadLetters) {
    // Without a dead-letter topic the record must not be skipped: stop here, uncommitted.
    throw new Error(`${target.topic} ${position}: ${reason}: ${detail}; no dead-letter topic to move it to`);
  }
  for (let attempt = 1; !target.closing(); attempt++) {
    try {
      await target.deadLetters.publish({
        key: message.key?.toString('utf8') || position,
        value: new Uint8Array(message.value ?? Buffer.alloc(0)),
        headers: {
          ...Object.fromEntries(
            Object.entries(headers).filter(([k]) => k !== LINEAGE_HEADER && !k.startsWith('ol-')),
          ),
          'dlq-reason': reason,
          'dlq-detail': detail.slice(0, 2000),
          'dlq-source': `${target.topic}/${position}`,
          'dlq-group': target.group,
        },
        timestamp: new Date(),
      });
      target.log('warn', 'record dead-lettered', { topic: target.topic, position, reason, detail });
      return true;
    } catch (error) {
      target.log('error', 'dead-letter write failed; retrying', {
        topic: target.topic,
        position,
        attempt,
        error: (error as Error).message,
      });
      await sleep(Math.min(5_000, 100 * 2 ** attempt));
    }
  }
  return false;
}

/** The end of every partition of a topic (the offset the next record written will get). */
export async function endOffsetsOf(
  client: Consumer<Buffer, Buffer, Buffer, Buffer>,
  topic: string,
): Promise<Map<number, bigint>> {
  const offsets = await client.listOffsets({ topics: [topic] });
  return new Map(
    (offsets.get(topic) ?? []).map((offset, partition) => [partition, offset] as [number, bigint]),
  );
}

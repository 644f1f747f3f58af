import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import {
  type BusError,
  type BusMessage,
  type MessageHandler,
  PoisonMessageError,
  type StreamConsumer,
  type StreamDef,
} from '@openfoundry/bus-registry';
import { decodeValue, headerRecord, MSG_ID_HEADER, parseLineage } from './codec.ts';
import type { BusContext } from './context.ts';
import { toBusError } from './errors.ts';

export interface ConsumeOptions<T> {
  /** A durable consumer declared for this service in the stream's `consumers`. */
  durable: string;
  handler: MessageHandler<T>;
  /** Messages handled at once; also how many the server hands this process before it acks. Default 1. */
  concurrency?: number;
}

export interface ConsumerStats {
  received: number;
  acked: number;
  /** Handler threw; nak'ed with the declared backoff. */
  retried: number;
  /** Poison (PoisonMessageError, or a payload the schema rejects): term()'ed, never redelivered. */
  terminated: number;
  /** Handler threw on the last allowed delivery; the server stops redelivering it. */
  exhausted: number;
}

/** How long an ack waits for the server's confirmation before it is left to redelivery. */
const ACK_CONFIRM_TIMEOUT_MS = 5_000;

export function jetStreamMessage<T>(msg: JsMsg, value: T): BusMessage<T> {
  const headers = headerRecord(msg.headers);
  return {
    bus: 'control',
    source: msg.subject,
    key: headers[MSG_ID_HEADER],
    value,
    headers,
    lineage: parseLineage(headers),
    attempt: msg.info.deliveryCount,
    position: String(msg.info.streamSequence),
    timestamp: msg.time,
  };
}

/** The wait before redelivery after the `attempt`-th delivery failed; the last step repeats. */
export function backoffFor(consumer: Pick<StreamConsumer, 'backoffMs'>, attempt: number): number {
  const steps = consumer.backoffMs;
  return steps[Math.min(attempt, steps.length) - 1] ?? 0;
}

class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/** A running durable consumer, as a service sees it. */
export interface ControlConsumer {
  readonly stream: StreamDef;
  /** Its registry declaration: ack wait, max deliveries, backoff. */
  readonly declared: StreamConsumer;
  stats(): ConsumerStats;
  /** Stops pulling and waits for the handlers in flight to finish and ack. */
  close(): Promise<void>;
}

/**
 * A durable pull consumer: at-least-once. A message is acked after its handler resolved, nak'ed
 * with the declared backoff when it threw, and terminated when it can never succeed. A process that
 * dies between receipt and ack loses nothing: the server redelivers after `ack_wait`.
 */
export class DurableConsumer<T = unknown> implements ControlConsumer {
  readonly stream: StreamDef;
  readonly declared: StreamConsumer;
  readonly #context: BusContext;
  readonly #handler: MessageHandler<T>;
  readonly #slots: Slots;
  readonly #concurrency: number;
  readonly #inflight = new Set<Promise<void>>();
  readonly #stats: ConsumerStats = { received: 0, acked: 0, retried: 0, terminated: 0, exhausted: 0 };
  readonly #onClose: () => void;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    context: BusContext,
    stream: StreamDef,
    declared: StreamConsumer,
    options: ConsumeOptions<T>,
    onClose: () => void,
  ) {
    this.#context = context;
    this.stream = stream;
    this.declared = declared;
    this.#handler = options.handler;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.#slots = new Slots(this.#concurrency);
    this.#onClose = onClose;
  }

  /** Looks the durable up on the server and starts pulling. */
  async start(): Promise<void> {
    const what = `consume ${this.stream.name}/${this.declared.durable}`;
    try {
      const consumer = await this.#context.js.consumers.get(this.stream.name, this.declared.durable);
      this.#messages = await consumer.consume({ max_messages: this.#concurrency });
    } catch (error) {
      throw toBusError(error, what);
    }
    void this.#watch(this.#messages);
    this.#loop = this.#run(this.#messages);
  }

  async #run(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      await this.#slots.acquire();
      const running = this.#process(msg)
        .catch((error: unknown) => {
          // Settling can fail only when the connection is gone; the server redelivers after ack_wait.
          this.#context.logger.error(
            { service: this.#context.service, durable: this.declared.durable, err: (error as Error).message },
            'could not settle a message',
          );
        })
        .finally(() => this.#slots.release());
      this.#inflight.add(running);
      void running.finally(() => this.#inflight.delete(running));
    }
  }

  async #watch(messages: ConsumerMessages): Promise<void> {
    const fields = {
      service: this.#context.service,
      stream: this.stream.name,
      durable: this.declared.durable,
    };
    for await (const status of messages.status()) {
      if (
        status.type === 'consumer_not_found' ||
        status.type === 'stream_not_found' ||
        status.type === 'consumer_deleted'
      ) {
        this.#context.logger.error(
          { ...fields, status },
          `the durable consumer is gone from the server (${status.type})`,
        );
      } else if (status.type === 'heartbeats_missed' || status.type === 'no_responders') {
        this.#context.logger.warn({ ...fields, status }, `pulling stalls (${status.type})`);
      }
    }
  }

  async #process(msg: JsMsg): Promise<void> {
    this.#stats.received++;
    const attempt = msg.info.deliveryCount;
    const fields = {
      service: this.#context.service,
      stream: this.stream.name,
      durable: this.declared.durable,
      subject: msg.subject,
      seq: msg.info.streamSequence,
      attempt,
    };
    let message: BusMessage<T>;
    try {
      const subject = this.#context.view.subjectOf(msg.subject, this.stream.name);
      if (!subject)
        throw new PoisonMessageError(
          `${msg.subject} is not a subject of stream ${this.stream.name} in the registry`,
        );
      message = jetStreamMessage(msg, decodeValue(subject.schema, msg.data, msg.subject) as T);
    } catch (error) {
      this.#terminate(msg, fields, error as Error);
      return;
    }
    try {
      await this.#handler(message);
    } catch (error) {
      if (error instanceof PoisonMessageError) {
        this.#terminate(msg, fields, error);
      } else if (attempt >= this.declared.maxDeliver) {
        // A plain nak: the server stops here and raises its max-deliveries advisory (ADR 0005 alerts on it).
        msg.nak();
        this.#stats.exhausted++;
        this.#context.logger.error(
          { ...fields, maxDeliver: this.declared.maxDeliver, err: (error as Error).message },
          'handler failed on the last delivery; the message will not come back',
        );
      } else {
        const delay = backoffFor(this.declared, attempt);
        msg.nak(delay);
        this.#stats.retried++;
        this.#context.logger.warn(
          { ...fields, retryInMs: delay, err: (error as Error).message },
          'handler failed; the message comes back after the backoff',
        );
      }
      return;
    }
    try {
      if (await msg.ackAck({ timeout: ACK_CONFIRM_TIMEOUT_MS })) this.#stats.acked++;
    } catch (error) {
      this.#context.logger.warn(
        { ...fields, code: toBusError(error, 'ack').code, err: (error as Error).message },
        'the ack was not confirmed; the server may deliver the message again',
      );
    }
  }

  #terminate(msg: JsMsg, fields: Record<string, unknown>, error: Error): void {
    const reason = error.message.slice(0, 200);
    msg.term(reason);
    this.#stats.terminated++;
    this.#context.logger.warn(
      { ...fields, reason, code: (error as BusError).code },
      'message terminated: it can never succeed and is not redelivered',
    );
  }

  stats(): ConsumerStats {
    return { ...this.#stats };
  }

  /**
   * Stops pulling and waits for the handlers in flight to finish and ack. Messages the server had
   * already handed over but no handler had started come back after `ack_wait`.
   */
  async close(): Promise<void> {
    await this.#messages?.close().catch(() => {});
    await this.#loop?.catch(() => {});
    await Promise.allSettled([...this.#inflight]);
    this.#onClose();
  }
}

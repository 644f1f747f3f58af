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

/** Waits for `work` to settle (either way), but no longer than `ms`. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([work.then(noop, noop), expired]);
  clearTimeout(timer);
}

const noop = () => {};

/** Handler slots: `take()` is synchronous while one is free, so a message waits only when all are busy. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  take(): boolean {
    if (this.#free === 0) return false;
    this.#free--;
    return true;
  }
  /** Resolves once a slot is handed over by `release()`. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
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
  /** Stops pulling and waits for the handlers in flight to finish and their acks to be confirmed. */
  close(): Promise<void>;
}

/**
 * A durable pull consumer: at-least-once. A message is acked after its handler resolved, nak'ed
 * with the declared backoff when it threw, and terminated when it can never succeed. A process that
 * dies between receipt and ack loses nothing: the server redelivers after `ack_wait`.
 *
 * Acks are confirmed by the server (a round trip each), but pipelined: a handler's slot is free for
 * the next message as soon as its ack is sent, and the confirmation is awaited alongside (counted in
 * `acked`, logged when it does not come, waited for by `close()`).
 */
export class DurableConsumer<T = unknown> implements ControlConsumer {
  readonly stream: StreamDef;
  readonly declared: StreamConsumer;
  readonly #context: BusContext;
  readonly #handler: MessageHandler<T>;
  readonly #slots: Slots;
  readonly #concurrency: number;
  /** Handlers running plus acks awaiting their confirmation; `close()` waits until it is 0. */
  #busy = 0;
  #idle: (() => void) | undefined;
  readonly #stats: ConsumerStats = { received: 0, acked: 0, retried: 0, terminated: 0, exhausted: 0 };
  readonly #onClose: () => void;
  /** Handled messages whose ack goes out with the next batch. */
  readonly #toAck: JsMsg[] = [];
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
      if (!this.#slots.take()) await this.#slots.wait();
      this.#busy++;
      void this.#process(msg);
    }
  }

  /** One piece of work (a handler, or an ack confirmation) finished. */
  #done(): void {
    if (--this.#busy === 0 && this.#idle) {
      this.#idle();
      this.#idle = undefined;
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

  /** What a log line about one message says about it. */
  #fields(msg: JsMsg): Record<string, unknown> {
    return {
      service: this.#context.service,
      stream: this.stream.name,
      durable: this.declared.durable,
      subject: msg.subject,
      seq: msg.info.streamSequence,
      attempt: msg.info.deliveryCount,
    };
  }

  /** Runs the handler on one message and settles it; holds a slot until the ack is sent. Never throws. */
  async #process(msg: JsMsg): Promise<void> {
    try {
      await this.#settle(msg);
    } catch (error) {
      // Settling can fail only when the connection is gone; the server redelivers after ack_wait.
      this.#context.logger.error(
        { service: this.#context.service, durable: this.declared.durable, err: (error as Error).message },
        'could not settle a message',
      );
    } finally {
      this.#slots.release();
      this.#done();
    }
  }

  async #settle(msg: JsMsg): Promise<void> {
    this.#stats.received++;
    let message: BusMessage<T>;
    try {
      const subject = this.#context.view.subjectOf(msg.subject, this.stream.name);
      if (!subject)
        throw new PoisonMessageError(
          `${msg.subject} is not a subject of stream ${this.stream.name} in the registry`,
        );
      message = jetStreamMessage(msg, decodeValue(subject.schema, msg.data, msg.subject) as T);
    } catch (error) {
      this.#terminate(msg, error as Error);
      return;
    }
    try {
      await this.#handler(message);
    } catch (error) {
      const attempt = message.attempt;
      if (error instanceof PoisonMessageError) {
        this.#terminate(msg, error);
      } else if (attempt >= this.declared.maxDeliver) {
        // A plain nak: the server stops here and raises its max-deliveries advisory (ADR 0005 alerts on it).
        msg.nak();
        this.#stats.exhausted++;
        this.#context.logger.error(
          { ...this.#fields(msg), maxDeliver: this.declared.maxDeliver, err: (error as Error).message },
          'handler failed on the last delivery; the message will not come back',
        );
      } else {
        const delay = backoffFor(this.declared, attempt);
        msg.nak(delay);
        this.#stats.retried++;
        this.#context.logger.warn(
          { ...this.#fields(msg), retryInMs: delay, err: (error as Error).message },
          'handler failed; the message comes back after the backoff',
        );
      }
      return;
    }
    // Acked together with the others handled in this turn of the event loop (one socket write for
    // all of them instead of one each); the confirmation is awaited without holding the slot.
    this.#busy++;
    this.#toAck.push(msg);
    if (this.#toAck.length === 1) setImmediate(this.#sendAcks);
  }

  /** Sends the acks queued since the last call; each is confirmed (or not) on its own. */
  readonly #sendAcks = () => {
    const batch = this.#toAck.splice(0);
    for (const msg of batch) {
      msg.ackAck({ timeout: ACK_CONFIRM_TIMEOUT_MS }).then(this.#confirmed, (error: unknown) => {
        this.#context.logger.warn(
          { ...this.#fields(msg), code: toBusError(error, 'ack').code, err: (error as Error).message },
          'the ack was not confirmed; the server may deliver the message again',
        );
        this.#done();
      });
    }
  };

  readonly #confirmed = (confirmed: boolean) => {
    if (confirmed) this.#stats.acked++;
    this.#done();
  };

  #terminate(msg: JsMsg, error: Error): void {
    const reason = error.message.slice(0, 200);
    msg.term(reason);
    this.#stats.terminated++;
    this.#context.logger.warn(
      { ...this.#fields(msg), reason, code: (error as BusError).code },
      'message terminated: it can never succeed and is not redelivered',
    );
  }

  stats(): ConsumerStats {
    return { ...this.#stats };
  }

  /**
   * Stops pulling and waits for the handlers in flight to finish and their acks to be confirmed.
   * Messages the server had already handed over but no handler had started come back after
   * `ack_wait`.
   */
  async close(): Promise<void> {
    await this.#messages?.close().catch(() => {});
    // A round trip, so the server has processed the unsubscribe before close() resolves: from then
    // on it hands new messages to other pullers instead of to this consumer's dead inbox. Bounded,
    // as a flush waits for a reconnect when the server is unreachable.
    await settledWithin(this.#context.nc.flush(), ACK_CONFIRM_TIMEOUT_MS);
    await this.#loop?.catch(() => {});
    if (this.#busy > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    this.#onClose();
  }
}

import type { Msg, Subscription } from '@nats-io/nats-core';
import type { BusError, BusMessage, SubjectDef } from '@openfoundry/bus-registry';
import { PoisonMessageError } from '@openfoundry/bus-registry';
import { decodeValue, headerRecord, MSG_ID_HEADER, parseLineage } from './codec.ts';
import { type BusContext, settle } from './context.ts';
import { toBusError } from './errors.ts';

export interface SubscriptionStats {
  received: number;
  handled: number;
  /** Handler threw; core NATS does not redeliver, so the message is gone. */
  failed: number;
  /** Payload did not match the schema, or the handler threw PoisonMessageError. */
  dropped: number;
}

/** A core-NATS message as the shared handler shape; core messages are delivered once, never stored. */
export function coreMessage<T>(msg: Msg, value: T): BusMessage<T> {
  const headers = headerRecord(msg.headers);
  return {
    bus: 'control',
    source: msg.subject,
    key: headers[MSG_ID_HEADER],
    value,
    headers,
    lineage: parseLineage(headers),
    attempt: 1,
    position: '',
    timestamp: new Date(),
  };
}

type Dispatch = (msg: Msg, subscription: CoreSubscription) => Promise<void>;

/** A live subscription or command handler. */
export interface ControlSubscription {
  /** The subject pattern subscribed to, wildcards included. */
  readonly subject: string;
  /** Resolves when the server has the subscription; rejects with BusError Unauthorized if it refused it. */
  readonly ready: Promise<void>;
  stats(): SubscriptionStats;
  /** Stops taking messages, lets the ones already received finish, then resolves. */
  close(): Promise<void>;
}

/**
 * One core-NATS subscription: fan-out handlers run one message at a time, in order; request
 * handlers run concurrently. `ready` settles once the server accepted (or refused) it.
 */
export class CoreSubscription implements ControlSubscription {
  /** The subject pattern subscribed to, wildcards included. */
  readonly subject: string;
  /** Resolves when the server has the subscription; rejects with BusError Unauthorized if it refused it. */
  readonly ready: Promise<void>;
  readonly #sub: Subscription;
  readonly #inflight = new Set<Promise<void>>();
  readonly #loop: Promise<void>;
  readonly #stats: SubscriptionStats = { received: 0, handled: 0, failed: 0, dropped: 0 };
  readonly #onClose: () => void;

  constructor(
    context: BusContext,
    subject: string,
    options: { queue?: string; concurrent: boolean; dispatch: Dispatch; onClose: () => void },
  ) {
    this.subject = subject;
    this.#onClose = options.onClose;
    const sub = context.nc.subscribe(subject, options.queue ? { queue: options.queue } : {});
    this.#sub = sub;
    this.#loop = (async () => {
      for await (const msg of sub) {
        this.#stats.received++;
        const running = options.dispatch(msg, this).catch((error: unknown) => {
          context.logger.error(
            { service: context.service, subject: msg.subject, err: (error as Error).message },
            'could not answer a message',
          );
        });
        if (!options.concurrent) {
          await running;
          continue;
        }
        this.#inflight.add(running);
        void running.finally(() => this.#inflight.delete(running));
      }
    })().catch(() => {
      // A refused subscription ends the iterator with the server's error; `ready` reports it.
    });
    this.ready = (async () => {
      await context.nc.flush();
      await settle();
      if (!sub.isClosed()) return;
      const reason = await sub.closed;
      if (reason instanceof Error) throw toBusError(reason, `subscribe ${subject}`);
    })();
    this.ready.catch((error: unknown) => {
      context.logger.error(
        { service: context.service, subject, code: (error as BusError).code },
        `subscription refused: ${(error as Error).message}`,
      );
    });
  }

  count(outcome: keyof Omit<SubscriptionStats, 'received'>): void {
    this.#stats[outcome]++;
  }

  stats(): SubscriptionStats {
    return { ...this.#stats };
  }

  /** Stops taking messages, lets the ones already received finish, then resolves. */
  async close(): Promise<void> {
    if (!this.#sub.isClosed()) await this.#sub.drain().catch(() => {});
    await this.#loop;
    await Promise.allSettled([...this.#inflight]);
    this.#onClose();
  }
}

/** Runs a fan-out handler on one message; a failure is logged and counted, never thrown. */
export async function deliverToHandler<T>(
  context: BusContext,
  subscription: CoreSubscription,
  subject: SubjectDef<T>,
  msg: Msg,
  handler: (message: BusMessage<T>) => Promise<void>,
): Promise<void> {
  const fields = { service: context.service, subject: msg.subject };
  let message: BusMessage<T>;
  try {
    message = coreMessage(msg, decodeValue(subject.schema, msg.data, msg.subject));
  } catch (error) {
    subscription.count('dropped');
    context.logger.error(
      { ...fields, code: (error as BusError).code },
      `dropped: ${(error as Error).message}`,
    );
    return;
  }
  try {
    await handler(message);
    subscription.count('handled');
  } catch (error) {
    const poison = error instanceof PoisonMessageError;
    subscription.count(poison ? 'dropped' : 'failed');
    context.logger[poison ? 'warn' : 'error'](
      { ...fields, err: (error as Error).message },
      poison ? 'handler rejected the message as poison' : 'handler failed; core messages are not redelivered',
    );
  }
}

import { randomUUID } from 'node:crypto';
import { type MsgHdrs, headers as natsHeaders } from '@nats-io/nats-core';
import { BusError, BusErrorCode, type Lineage, type SubjectDef } from '@openfoundry/bus-registry';
import { encodeValue, lineageHeaders, MSG_ID_HEADER } from './codec.ts';
import { assertOpen, type BusContext, settle } from './context.ts';
import { toBusError } from './errors.ts';
import { concreteSubject, type TokensInput } from './subjects.ts';

export interface MessageExtras {
  /** Extra headers; `ol-*` lineage headers are better given as `lineage`. */
  headers?: Readonly<Record<string, string>>;
  /** OpenLineage facts; optional on the control bus. */
  lineage?: Lineage;
}

export type PublishInput<T, P extends string> = MessageExtras & {
  value: T;
  /**
   * The message id (`Nats-Msg-Id`): the stream drops a second message with the same id inside its
   * duplicate window, and consumers see it as `key`. On a stored subject a random UUID when absent;
   * a core message without one carries none (ADR 0025).
   */
  msgId?: string;
} & TokensInput<P>;

export interface PublishResult {
  /** The concrete subject it went to. */
  subject: string;
  /** Undefined for a core message published without one. */
  msgId: string | undefined;
  /** For stored subjects: where the stream put it. */
  stream?: string;
  seq?: number;
  /** True when the stream had already stored this msgId and dropped the copy. */
  duplicate: boolean;
}

export function buildHeaders(extras: MessageExtras, msgId?: string): MsgHdrs {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(extras.headers ?? {})) h.set(key, value);
  if (extras.lineage)
    for (const [key, value] of Object.entries(lineageHeaders(extras.lineage))) h.set(key, value);
  if (msgId !== undefined) h.set(MSG_ID_HEADER, msgId);
  return h;
}

/**
 * The headers of a core message, or undefined when it has none to carry: a message without headers
 * costs the client, the server and every subscriber less (ADR 0025).
 */
function coreHeaders(extras: MessageExtras, msgId: string | undefined): MsgHdrs | undefined {
  if (msgId === undefined && extras.lineage === undefined && extras.headers === undefined) return undefined;
  return buildHeaders(extras, msgId);
}

/** How long a stored publish waits for the stream's acknowledgement. */
const STREAM_ACK_TIMEOUT_MS = 5_000;

/** Publishes one subject of the registry. */
export interface ControlPublisher<T, P extends string = string> {
  readonly subject: SubjectDef<T, P>;
  publish(input: PublishInput<T, P>): Promise<PublishResult>;
  /**
   * Publishes many messages in order with one round trip for all of them (a single flush): for
   * fan-out of a batch (live forwarders). Core subjects only; resolves once the server has
   * processed every message, and fails if it refused any.
   */
  publishMany(inputs: readonly PublishInput<T, P>[]): Promise<PublishResult[]>;
  /**
   * Like publishMany, but a message that can never be sent (schema violation, over the payload
   * limit) is left out and reported in its place instead of refusing the whole set; the rest go out
   * with one flush. A transport failure or a refusal by the server still rejects the whole call.
   */
  publishEach(inputs: readonly PublishInput<T, P>[]): Promise<PublishOutcome[]>;
}

/** One message of publishEach: sent, or never sendable (a BusError InvalidPayload or TooLarge). */
export type PublishOutcome = { ok: true; result: PublishResult } | { ok: false; error: BusError };

interface Prepared<T, P extends string> {
  input: PublishInput<T, P>;
  subject: string;
  data: Uint8Array;
  msgId: string | undefined;
}

/**
 * Publishes one subject. Stored subjects resolve once their stream acknowledged the message;
 * core subjects once the server has processed it (a flush), so a permission refusal surfaces here.
 */
export class SubjectPublisher<T, P extends string = string> implements ControlPublisher<T, P> {
  readonly subject: SubjectDef<T, P>;
  readonly #context: BusContext;

  constructor(context: BusContext, subject: SubjectDef<T, P>) {
    this.#context = context;
    this.subject = subject;
  }

  async publish(input: PublishInput<T, P>): Promise<PublishResult> {
    const context = this.#context;
    assertOpen(context, `publish ${this.subject.name}`);
    const subject = concreteSubject(this.subject.name, input.tokens);
    const data = encodeValue(this.subject, input.value);
    if (this.subject.stream !== undefined) {
      const stream = this.subject.stream;
      const msgId = input.msgId ?? randomUUID();
      try {
        const ack = await context.js.publish(subject, data, {
          msgID: msgId,
          headers: buildHeaders(input),
          expect: { streamName: stream },
          timeout: STREAM_ACK_TIMEOUT_MS,
        });
        return { subject, msgId, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
      } catch (error) {
        const mapped = toBusError(error, `publish ${subject}`);
        if (mapped.code === BusErrorCode.NoResponders) {
          throw new BusError(
            BusErrorCode.Unavailable,
            `publish ${subject}: no stream stored it; is stream ${stream} provisioned (npm run bus -- provision)?`,
            { subject, stream },
            { cause: error },
          );
        }
        throw mapped;
      }
    }
    const refusal = context.watchPublishRefusal(subject);
    let refused: Error | undefined;
    try {
      context.nc.publish(subject, data, { headers: coreHeaders(input, input.msgId) });
      await context.nc.flush();
      await settle();
    } catch (error) {
      throw toBusError(error, `publish ${subject}`);
    } finally {
      refused = refusal();
    }
    if (refused) throw toBusError(refused, `publish ${subject}`);
    return { subject, msgId: input.msgId, duplicate: false };
  }

  async publishMany(inputs: readonly PublishInput<T, P>[]): Promise<PublishResult[]> {
    this.#assertCore('publishMany');
    // Encode everything first: a schema violation refuses the whole set before anything is sent.
    const prepared = inputs.map((input) => this.#prepare(input));
    await this.#sendAll(prepared);
    return prepared.map(({ subject, msgId }) => ({ subject, msgId, duplicate: false }));
  }

  async publishEach(inputs: readonly PublishInput<T, P>[]): Promise<PublishOutcome[]> {
    this.#assertCore('publishEach');
    const outcomes: PublishOutcome[] = new Array(inputs.length);
    const prepared: Prepared<T, P>[] = [];
    for (let i = 0; i < inputs.length; i++) {
      try {
        const message = this.#prepare(inputs[i] as PublishInput<T, P>);
        prepared.push(message);
        outcomes[i] = {
          ok: true,
          result: { subject: message.subject, msgId: message.msgId, duplicate: false },
        };
      } catch (error) {
        outcomes[i] = { ok: false, error: toBusError(error, `publish ${this.subject.name}`) };
      }
    }
    await this.#sendAll(prepared);
    return outcomes;
  }

  #assertCore(method: string) {
    assertOpen(this.#context, `publish ${this.subject.name}`);
    if (this.subject.stream !== undefined) {
      throw new BusError(
        BusErrorCode.InvalidPayload,
        `${method} ${this.subject.name}: stored subjects are published one at a time (each waits for its stream ack)`,
        { subject: this.subject.name },
      );
    }
  }

  #prepare(input: PublishInput<T, P>): Prepared<T, P> {
    return {
      input,
      subject: concreteSubject(this.subject.name, input.tokens),
      data: encodeValue(this.subject, input.value),
      msgId: input.msgId,
    };
  }

  /** Hands every message to the client, then one flush: resolves once the server processed them all. */
  async #sendAll(prepared: readonly Prepared<T, P>[]): Promise<void> {
    if (prepared.length === 0) return;
    const context = this.#context;
    const watches = new Map<string, () => Error | undefined>();
    for (const { subject } of prepared)
      if (!watches.has(subject)) watches.set(subject, context.watchPublishRefusal(subject));
    let refused: { subject: string; error: Error } | undefined;
    try {
      for (const { input, subject, data, msgId } of prepared)
        context.nc.publish(subject, data, { headers: coreHeaders(input, msgId) });
      await context.nc.flush();
      await settle();
    } catch (error) {
      throw toBusError(error, `publish ${this.subject.name}`);
    } finally {
      for (const [subject, stop] of watches) {
        const error = stop();
        if (error && !refused) refused = { subject, error };
      }
    }
    if (refused) throw toBusError(refused.error, `publish ${refused.subject}`);
  }
}

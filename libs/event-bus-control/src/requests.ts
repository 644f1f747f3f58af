import type { Msg } from '@nats-io/nats-core';
import { BusError, BusErrorCode, type BusMessage, type SubjectDef } from '@openfoundry/bus-registry';
import { checkValue, decodeJson, decodeValue, encodeJson, encodeValue } from './codec.ts';
import { assertOpen, type BusContext } from './context.ts';
import { type ErrorShape, fromErrorShape, toBusError, toErrorShape } from './errors.ts';
import { buildHeaders, type MessageExtras } from './publisher.ts';
import { concreteSubject, type TokensInput } from './subjects.ts';
import { type CoreSubscription, coreMessage } from './subscription.ts';

// A reply is one JSON envelope: `{"result": …}` or `{"error": {code, message, details}}`, so a
// handler's failure crosses the service boundary in the shared error shape.

export type RequestHandler<T, R> = (request: BusMessage<T>) => Promise<R>;

export type RequestInput<T, P extends string> = MessageExtras & {
  value: T;
  /** Default 2 s (ADR 0005). */
  timeoutMs?: number;
} & TokensInput<P>;

export const DEFAULT_REQUEST_TIMEOUT_MS = 2_000;

const errorReply = (error: ErrorShape) => encodeJson({ error });

/** Runs a command handler for one request and answers it; never throws. */
export async function answerRequest<T, R>(
  context: BusContext,
  subscription: CoreSubscription,
  subject: SubjectDef<T, string, R>,
  msg: Msg,
  handler: RequestHandler<T, R>,
): Promise<void> {
  const fields = { service: context.service, subject: msg.subject };
  let reply: Uint8Array;
  try {
    const request = coreMessage(msg, decodeValue(subject.schema, msg.data, msg.subject));
    const result = await handler(request);
    const body = subject.reply ? encodeValue(subject, result, subject.reply) : encodeJson(result ?? null);
    reply = Buffer.concat([RESULT_START, body, RESULT_END]);
    subscription.count('handled');
  } catch (error) {
    const shape = toErrorShape(error);
    subscription.count('failed');
    context.logger[shape.code === 'INTERNAL' ? 'error' : 'warn'](
      { ...fields, code: shape.code, err: (error as Error).message },
      'request answered with an error',
    );
    reply = errorReply(shape);
  }
  if (!msg.reply) {
    context.logger.warn(fields, 'a command arrived without a reply subject; nobody gets the answer');
    return;
  }
  msg.respond(reply);
}

// The result is already validated and serialised; wrapping its bytes avoids a second stringify.
const RESULT_START = Buffer.from('{"result":');
const RESULT_END = Buffer.from('}');

/** Sends a command and waits for its handler's answer. */
export async function sendRequest<T, P extends string, R>(
  context: BusContext,
  subject: SubjectDef<T, P, R>,
  input: RequestInput<T, P>,
): Promise<R> {
  assertOpen(context, `request ${subject.name}`);
  const concrete = concreteSubject(subject.name, input.tokens);
  const data = encodeValue(subject, input.value);
  const timeout = input.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let msg: Msg;
  try {
    msg = await context.nc.request(concrete, data, { timeout, headers: buildHeaders(input) });
  } catch (error) {
    const mapped = toBusError(error, `request ${concrete}`);
    if (mapped.code === BusErrorCode.Timeout) {
      throw new BusError(BusErrorCode.Timeout, `request ${concrete}: no reply within ${timeout} ms`, {
        subject: concrete,
        timeoutMs: timeout,
      });
    }
    if (mapped.code === BusErrorCode.NoResponders) {
      throw new BusError(
        BusErrorCode.NoResponders,
        `request ${concrete}: no handler is listening (is ${subject.owner} running?)`,
        { subject: concrete, handler: subject.owner },
      );
    }
    throw mapped;
  }
  let envelope: { result?: unknown; error?: ErrorShape };
  try {
    envelope = decodeJson(msg.data) as typeof envelope;
  } catch (error) {
    throw new BusError(
      BusErrorCode.InvalidPayload,
      `request ${concrete}: the reply is not JSON`,
      {},
      { cause: error },
    );
  }
  if (envelope.error) throw fromErrorShape(concrete, envelope.error);
  if (!subject.reply) return envelope.result as R;
  return checkValue(subject.reply, envelope.result, `reply of ${concrete}`);
}

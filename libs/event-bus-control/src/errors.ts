import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors as nats } from '@nats-io/nats-core';
import { BusError, BusErrorCode } from '@openfoundry/bus-registry';

/** The shared error shape (STYLE "Errors") a command handler's failure travels back in. */
export interface ErrorShape {
  code: string;
  message: string;
  details?: unknown;
}

/**
 * A command handler answered with an error of its own domain (`CONNECTOR_NOT_FOUND`, …). Bus-level
 * codes come back as plain BusErrors with that code; everything else arrives as this, with the
 * handler's shape in `remote`.
 */
export class RemoteError extends BusError {
  override name = 'RemoteError';
  readonly remote: ErrorShape;
  constructor(subject: string, remote: ErrorShape) {
    super(BusErrorCode.Remote, `${subject}: the handler answered ${remote.code}: ${remote.message}`, {
      subject,
      remote,
    });
    this.remote = remote;
  }
}

const BUS_CODES = new Set<string>(Object.values(BusErrorCode));

/** What a requester throws for an error shape received in a reply. */
export function fromErrorShape(subject: string, shape: ErrorShape): BusError {
  if (BUS_CODES.has(shape.code)) {
    return new BusError(shape.code as BusErrorCode, `${subject}: ${shape.message}`, {
      subject,
      ...(isRecord(shape.details)
        ? shape.details
        : shape.details === undefined
          ? {}
          : { details: shape.details }),
    });
  }
  return new RemoteError(subject, shape);
}

/**
 * What a handler's failure becomes on the wire. Errors that carry a string code (BusError, a
 * service's DomainError) keep their code, message and details; anything else is an internal
 * failure whose message stays in the handler's log, never in the reply.
 */
export function toErrorShape(error: unknown): ErrorShape {
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') {
    const { code, details } = error as Error & { code: string; details?: unknown };
    return { code, message: error.message, ...(details === undefined ? {} : { details }) };
  }
  return { code: 'INTERNAL', message: 'the handler failed; see its log' };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) chain.push(e);
  return chain;
}

const nameIs = (error: unknown, ...names: string[]) => error instanceof Error && names.includes(error.name);

/** Turns a client error into a BusError with a code a service can act on; `context` says what was tried. */
export function toBusError(error: unknown, context: string): BusError {
  if (error instanceof BusError) return error;
  const chain = causes(error);
  const details = { cause: error instanceof Error ? error.message : String(error) };
  const wrap = (code: BusErrorCode, message: string) =>
    new BusError(code, `${context}: ${message}`, details, { cause: error });

  const permission = chain.find(
    (e) => e instanceof nats.PermissionViolationError || nameIs(e, 'PermissionViolationError'),
  );
  if (permission)
    return wrap(BusErrorCode.Unauthorized, `the server refused it: ${(permission as Error).message}`);
  const auth = chain.find(
    (e) =>
      e instanceof nats.AuthorizationError ||
      e instanceof nats.UserAuthenticationExpiredError ||
      nameIs(e, 'AuthorizationError'),
  );
  if (auth)
    return wrap(BusErrorCode.Unauthorized, `the server refused the credentials: ${(auth as Error).message}`);
  if (
    chain.some(
      (e) => e instanceof nats.NoRespondersError || (e instanceof nats.RequestError && e.isNoResponders()),
    )
  ) {
    return wrap(BusErrorCode.NoResponders, 'nobody is listening');
  }
  if (chain.some((e) => e instanceof nats.TimeoutError || nameIs(e, 'TimeoutError'))) {
    return wrap(BusErrorCode.Timeout, 'timed out');
  }
  if (
    chain.some((e) => e instanceof nats.ClosedConnectionError || e instanceof nats.DrainingConnectionError)
  ) {
    return wrap(BusErrorCode.Closed, 'the connection is closed');
  }
  const api = chain.find((e) => e instanceof JetStreamApiError) as JetStreamApiError | undefined;
  if (api?.code === JetStreamApiCodes.StreamNotFound) {
    return wrap(
      BusErrorCode.UnknownStream,
      `the server has no such stream (is it provisioned?): ${api.message}`,
    );
  }
  if (api?.code === JetStreamApiCodes.ConsumerNotFound) {
    return wrap(
      BusErrorCode.Unavailable,
      `the server has no such durable consumer (is it provisioned?): ${api.message}`,
    );
  }
  return wrap(BusErrorCode.Unavailable, error instanceof Error ? error.message : String(error));
}

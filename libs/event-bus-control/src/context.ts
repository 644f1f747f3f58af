import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusError, BusErrorCode } from '@openfoundry/bus-registry';
import type { RegistryView } from './registry-view.ts';

/** Structured logging as pino does it: fields first, then the message. */
export interface ControlBusLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Without a logger, problems still reach stderr as JSON lines; routine events stay quiet. */
export const stderrLogger: ControlBusLogger = {
  info() {},
  warn: (fields, message) =>
    process.stderr.write(`${JSON.stringify({ level: 'warn', ...fields, message })}\n`),
  error: (fields, message) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', ...fields, message })}\n`),
};

/** What publishers, consumers and subscriptions share with the ControlBus that made them. */
export interface BusContext {
  readonly service: string;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly view: RegistryView;
  readonly logger: ControlBusLogger;
  isClosed(): boolean;
  /**
   * Starts listening for the server refusing a publish on `subject`; the returned function stops
   * listening and returns the refusal, if one came.
   */
  watchPublishRefusal(subject: string): () => Error | undefined;
}

export function assertOpen(context: BusContext, what: string): void {
  if (context.isClosed()) {
    throw new BusError(BusErrorCode.Closed, `${what}: the control bus of ${context.service} is closed`);
  }
}

/** Lets every already-queued callback and promise continuation run (status events included). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

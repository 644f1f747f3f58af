// The one handler shape of both buses: a service author writes `async (message) => { … }` for a
// Kafka consumer, a JetStream consumer and a NATS subscription alike. Resolving means "done":
// the data bus commits the offset, the control bus acks. Throwing means "not done": the message
// comes back (with backoff) until its attempts run out, then it is dead-lettered (Kafka) or
// terminated (JetStream). Throwing a PoisonMessageError skips the retries.

/** OpenLineage facts carried as record headers (ADR 0003, 0019). */
export interface Lineage {
  namespace: string;
  jobName: string;
  runId: string;
  /** RFC 3339 with offset, millisecond precision. */
  eventTime: string;
  producer: string;
  schemaUrl?: string;
}

export interface BusMessage<T = unknown> {
  /** Which bus it came from. */
  readonly bus: 'data' | 'control';
  /** Kafka topic, or the concrete NATS subject. */
  readonly source: string;
  /** Kafka record key; the NATS message id (`Nats-Msg-Id`) for JetStream messages. */
  readonly key: string | undefined;
  readonly value: T;
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed lineage header(s) (`ol` or `ol-*`); undefined when the producer sent none. */
  readonly lineage: Lineage | undefined;
  /** 1 on first delivery. */
  readonly attempt: number;
  /** Kafka `partition:offset`, or the JetStream stream sequence. */
  readonly position: string;
  readonly timestamp: Date;
}

export type MessageHandler<T> = (message: BusMessage<T>) => Promise<void>;

/** Thrown by a handler for a message that can never succeed: dead-letter or terminate it at once. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

/** Error codes shared by both bus libraries; each maps to one HTTP/gRPC status at a service edge. */
export const BusErrorCode = {
  UnknownTopic: 'BUS_UNKNOWN_TOPIC',
  UnknownSubject: 'BUS_UNKNOWN_SUBJECT',
  UnknownStream: 'BUS_UNKNOWN_STREAM',
  NotOwner: 'BUS_NOT_OWNER',
  NotDeclared: 'BUS_NOT_DECLARED',
  Unauthorized: 'BUS_UNAUTHORIZED',
  InvalidPayload: 'BUS_INVALID_PAYLOAD',
  TooLarge: 'BUS_TOO_LARGE',
  MissingLineage: 'BUS_MISSING_LINEAGE',
  Timeout: 'BUS_TIMEOUT',
  NoResponders: 'BUS_NO_RESPONDERS',
  /** A request's handler answered with an error of its own; the error carries the handler's code. */
  Remote: 'BUS_REMOTE_ERROR',
  Unavailable: 'BUS_UNAVAILABLE',
  Closed: 'BUS_CLOSED',
} as const;
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

export class BusError extends Error {
  override name = 'BusError';
  readonly code: BusErrorCode;
  readonly details: Record<string, unknown>;
  constructor(
    code: BusErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

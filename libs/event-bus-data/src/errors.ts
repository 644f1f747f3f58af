import { BusError, BusErrorCode } from '@openfoundry/bus-registry';

/** The Kafka protocol error codes this library acts on itself (the protocol's numbers). */
export const KafkaCode = {
  OFFSET_OUT_OF_RANGE: 1,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  MESSAGE_TOO_LARGE: 10,
  RECORD_LIST_TOO_LARGE: 18,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  INVALID_RECORD: 87,
} as const;

const {
  TOPIC_AUTHORIZATION_FAILED,
  GROUP_AUTHORIZATION_FAILED,
  CLUSTER_AUTHORIZATION_FAILED,
  MESSAGE_TOO_LARGE,
  RECORD_LIST_TOO_LARGE,
  SASL_AUTHENTICATION_FAILED,
  UNKNOWN_TOPIC_OR_PARTITION,
} = KafkaCode;

function kafkaCodes(error: unknown, seen = new Set<unknown>()): number[] {
  if (!error || typeof error !== 'object' || seen.has(error)) return [];
  seen.add(error);
  const e = error as { apiCode?: unknown; errors?: unknown[]; cause?: unknown; response?: unknown };
  const codes = typeof e.apiCode === 'number' ? [e.apiCode] : [];
  for (const inner of e.errors ?? []) codes.push(...kafkaCodes(inner, seen));
  codes.push(...kafkaCodes(e.cause, seen));
  return codes;
}

function messages(error: unknown, seen = new Set<unknown>()): string[] {
  if (!error || typeof error !== 'object' || seen.has(error)) return [];
  seen.add(error);
  const e = error as { message?: unknown; errors?: unknown[]; cause?: unknown };
  const own = typeof e.message === 'string' ? [e.message] : [];
  return [...own, ...(e.errors ?? []).flatMap((i) => messages(i, seen)), ...messages(e.cause, seen)];
}

/** Turns a client error into a BusError with the code a service can act on. */
export function toBusError(error: unknown, context: string): BusError {
  if (error instanceof BusError) return error;
  const codes = kafkaCodes(error);
  const text = [...new Set(messages(error))].join(' / ') || String(error);
  const has = (...wanted: number[]) => wanted.some((c) => codes.includes(c));
  if (has(TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED)) {
    return new BusError(
      BusErrorCode.Unauthorized,
      `${context}: the broker refused it (not authorized): ${text}`,
      {
        kafkaCodes: codes,
      },
      { cause: error },
    );
  }
  if (has(SASL_AUTHENTICATION_FAILED) || /SASL|authenticat/i.test(text)) {
    return new BusError(
      BusErrorCode.Unauthorized,
      `${context}: authentication failed: ${text}`,
      {},
      { cause: error },
    );
  }
  if (has(MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE)) {
    return new BusError(
      BusErrorCode.TooLarge,
      `${context}: the broker refused the record as too large: ${text}`,
      {
        kafkaCodes: codes,
      },
      { cause: error },
    );
  }
  if (has(UNKNOWN_TOPIC_OR_PARTITION)) {
    return new BusError(
      BusErrorCode.UnknownTopic,
      `${context}: the broker has no such topic: ${text}`,
      {},
      { cause: error },
    );
  }
  return new BusError(
    BusErrorCode.Unavailable,
    `${context}: ${text}`,
    { kafkaCodes: codes },
    { cause: error },
  );
}

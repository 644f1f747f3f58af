import { z } from 'zod';
import { deadLetterTopicName } from './naming.ts';

/**
 * The bus-choice table of ADR 0005, by row. A topic's `kind` must be a data row, a subject's a
 * control row; bus-lint reports the row a wrong choice violates.
 */
export const DATA_KINDS = {
  telemetry: 'D1',
  'state-change': 'D2',
  cdc: 'D3',
  lineage: 'D4',
  audit: 'D4',
  'dead-letter': 'D1',
} as const;
export const CONTROL_KINDS = { command: 'C1', signal: 'C2', notification: 'C3', live: 'C4' } as const;

export type DataKind = keyof typeof DATA_KINDS;
export type ControlKind = keyof typeof CONTROL_KINDS;

/** Where every payload schema's stable URL lives; the `ol-schema-url` header carries it. */
export const SCHEMA_BASE_URL = 'https://openfoundry.dev/schemas/bus';

export const DAY_MS = 86_400_000;

export interface PayloadSchema<T = unknown> {
  /** Dotted id, owner domain first: `tenancy.tenant-changed`. */
  readonly id: string;
  readonly version: number;
  /** `${SCHEMA_BASE_URL}/<id>/v<version>.json`; also the `$id` of the committed JSON Schema. */
  readonly url: string;
  readonly zod: z.ZodType<T>;
}

export function payloadSchema<S extends z.ZodType>(
  id: string,
  version: number,
  zod: S,
): PayloadSchema<z.output<S>> {
  return {
    id,
    version,
    url: `${SCHEMA_BASE_URL}/${id}/v${version}.json`,
    zod: zod as z.ZodType<z.output<S>>,
  };
}

/** Raw bytes with no structure the platform knows (dead letters keep the original record). */
export const OPAQUE_SCHEMA: PayloadSchema<Uint8Array> = payloadSchema(
  'platform.opaque-bytes',
  1,
  z.instanceof(Uint8Array),
);

export interface TopicConsumer {
  readonly service: string;
  /** Kafka consumer group; must start with `<service>.` (the group ACL is prefixed by it). */
  readonly group: string;
}

/** A Kafka topic on the data bus. */
/**
 * When a record is a repeat of an earlier one (ADR 0016): its `idField` (a UUID) equals that of a
 * record among the previous `window` offsets of the same partition. A pure function of the log, so
 * every consumer that skips repeats derives the same thing, before and after a replay.
 */
export interface RepeatRule {
  /** A top-level payload field holding a UUID. */
  readonly idField: string;
  /** How many preceding offsets of the partition a record is compared with. */
  readonly window: number;
}

export interface TopicDef<T = unknown, N extends string = string> {
  readonly bus: 'data';
  readonly name: N;
  readonly owner: string;
  readonly kind: DataKind;
  readonly description: string;
  readonly partitions: number;
  /** -1 keeps records forever. */
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact' | 'compact,delete';
  /** Production replication; a single local broker clamps it to 1. */
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  /** Largest record the broker accepts (`max.message.bytes`). */
  readonly maxMessageBytes: number;
  readonly schema: PayloadSchema<T>;
  readonly consumers: readonly TopicConsumer[];
  /** For a dead-letter topic: the consumer group it takes poison records from. */
  readonly deadLetterOf?: string;
  /** Records a producer may write twice (an at-least-once source) and how consumers recognise them. */
  readonly repeats?: RepeatRule;
}

export type TopicInput<T, N extends string> = Pick<
  TopicDef<T, N>,
  'name' | 'owner' | 'kind' | 'description' | 'schema'
> &
  Partial<Omit<TopicDef<T, N>, 'bus' | 'name' | 'owner' | 'kind' | 'description' | 'schema'>>;

export const TOPIC_DEFAULTS = {
  partitions: 3,
  retentionMs: 14 * DAY_MS,
  cleanupPolicy: 'delete',
  replicationFactor: 3,
  minInsyncReplicas: 2,
  maxMessageBytes: 1_048_576,
  consumers: [],
} as const;

export function topic<T, const N extends string>(input: TopicInput<T, N>): TopicDef<T, N> {
  return { bus: 'data', ...TOPIC_DEFAULTS, ...input };
}

/**
 * A NATS subject family on the control bus. `name` is a pattern whose `{token}` parts are filled
 * at publish time (`tenancy.{tenant}.tenant.changed`); a trailing `>` is allowed.
 */
export interface SubjectDef<T = unknown, P extends string = string, R = unknown> {
  readonly bus: 'control';
  readonly name: P;
  readonly owner: string;
  readonly kind: ControlKind;
  readonly description: string;
  readonly schema: PayloadSchema<T>;
  /** Reply payload for a request/reply command. */
  readonly reply?: PayloadSchema<R>;
  /** The stream that stores it; absent for core-NATS-only subjects (request/reply, live fan-out). */
  readonly stream?: string;
  /**
   * Services allowed to publish besides the owner. Only commands have them: a command's owner is
   * its handler and its senders are the services that request it.
   */
  readonly senders: readonly string[];
  /** Services that subscribe to it directly (core NATS fan-out). Durable readers are stream consumers. */
  readonly subscribers: readonly string[];
  readonly maxPayloadBytes: number;
}

export type SubjectInput<T, P extends string, R> = Pick<
  SubjectDef<T, P, R>,
  'name' | 'owner' | 'kind' | 'description' | 'schema'
> &
  Partial<Omit<SubjectDef<T, P, R>, 'bus' | 'name' | 'owner' | 'kind' | 'description' | 'schema'>>;

/** ADR 0005's tie-breaker: anything larger belongs on Kafka or in object storage. */
export const CONTROL_MAX_PAYLOAD_BYTES = 64 * 1024;

export function subject<T, const P extends string, R = never>(
  input: SubjectInput<T, P, R>,
): SubjectDef<T, P, R> {
  return {
    bus: 'control',
    senders: [],
    subscribers: [],
    maxPayloadBytes: CONTROL_MAX_PAYLOAD_BYTES,
    ...input,
  };
}

export interface StreamConsumer {
  readonly service: string;
  /** Durable consumer name; must start with the service's domain token. */
  readonly durable: string;
  /** A subject pattern of the stream (a `SubjectDef` name); the whole stream when absent. */
  readonly filterSubject?: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  /** Redelivery delays; its length must be below `maxDeliver`. */
  readonly backoffMs: readonly number[];
}

export type StreamConsumerInput = Pick<StreamConsumer, 'service' | 'durable'> &
  Partial<Omit<StreamConsumer, 'service' | 'durable'>>;

export const STREAM_CONSUMER_DEFAULTS = {
  ackWaitMs: 30_000,
  maxDeliver: 5,
  backoffMs: [1_000, 5_000, 30_000, 120_000],
} as const;

/** A JetStream stream on the control bus. Its subjects are the `SubjectDef`s that name it. */
export interface StreamDef<N extends string = string> {
  readonly name: N;
  readonly owner: string;
  readonly description: string;
  readonly storage: 'file' | 'memory';
  readonly maxAgeMs: number;
  readonly maxMsgs: number;
  /** -1 for no byte limit. */
  readonly maxBytes: number;
  readonly duplicateWindowMs: number;
  /** Production replicas; a single local server clamps it to 1. */
  readonly replicas: number;
  readonly consumers: readonly StreamConsumer[];
}

export type StreamInput<N extends string> = Pick<StreamDef<N>, 'name' | 'owner' | 'description'> &
  Partial<Omit<StreamDef<N>, 'name' | 'owner' | 'description' | 'consumers'>> & {
    consumers?: readonly StreamConsumerInput[];
  };

export const STREAM_DEFAULTS = {
  storage: 'file',
  maxAgeMs: 7 * DAY_MS,
  maxMsgs: 1_000_000,
  maxBytes: -1,
  duplicateWindowMs: 120_000,
  replicas: 3,
} as const;

export function stream<const N extends string>(input: StreamInput<N>): StreamDef<N> {
  return {
    ...STREAM_DEFAULTS,
    ...input,
    consumers: (input.consumers ?? []).map((c) => ({ ...STREAM_CONSUMER_DEFAULTS, ...c })),
  };
}

export interface Registry {
  readonly topics: readonly TopicDef[];
  readonly subjects: readonly SubjectDef[];
  readonly streams: readonly StreamDef[];
}

/**
 * Completes a registry: adds a dead-letter topic for every consumer group of every topic (owned by
 * the consumer, named `<domain>.dlq.<group suffix>`), so poison records always have somewhere to go.
 */
export function defineRegistry(input: Registry): Registry {
  const deadLetters = input.topics.flatMap((t) =>
    t.kind === 'dead-letter'
      ? []
      : t.consumers.map((c) =>
          topic({
            name: deadLetterTopicName(c.service, c.group),
            owner: c.service,
            kind: 'dead-letter',
            description: `Poison records that consumer group ${c.group} could not process from ${t.name}.`,
            schema: OPAQUE_SCHEMA,
            partitions: 1,
            retentionMs: 30 * DAY_MS,
            maxMessageBytes: Math.max(t.maxMessageBytes, TOPIC_DEFAULTS.maxMessageBytes) + 65_536,
            deadLetterOf: c.group,
          }),
        ),
  );
  const declared = new Set(input.topics.map((t) => t.name));
  return {
    ...input,
    topics: [...input.topics, ...deadLetters.filter((t) => !declared.has(t.name))],
  };
}

import { DAY_MS, defineRegistry, OPAQUE_SCHEMA, stream, subject, topic } from './model.ts';
import { assetEventSchema } from './schemas/assets.ts';
import {
  assignmentReplySchema,
  assignmentSchema,
  commandOutcomeSchema,
  commandRecordReplySchema,
  commandRecordSchema,
  commandSchema,
  heartbeatSchema,
} from './schemas/connector.ts';
import { assetAggregateSchema, assetStateSchema } from './schemas/streaming.ts';
import { tenantChangedSchema, tenantStateSchema } from './schemas/tenancy.ts';

// The platform's bus registry: every Kafka topic, NATS subject and JetStream stream a service
// uses. `npm run bus -- provision` creates them, and the credentials and permissions of every
// service, from this file; bus-lint checks the code against it.

export const topics = {
  /** Durable tenant changes (ADR 0005 row D2), compacted to the latest state per tenant. */
  tenantState: topic({
    name: 'tenancy.tenant-state.v1',
    owner: 'tenancy-service',
    kind: 'state-change',
    description: 'Every tenant change as the tenant stands afterwards, keyed by tenant id.',
    schema: tenantStateSchema,
    partitions: 3,
    retentionMs: -1,
    cleanupPolicy: 'compact',
  }),
  /**
   * The asset stream (ADR 0003, 0014): the system of record of device data, keyed
   * `<tenant>/<asset>`, kept forever. Everything in the ingestion plane is derived from it.
   */
  assetEvents: topic({
    name: 'connector.asset-events.v1',
    owner: 'connector-service',
    kind: 'telemetry',
    description: 'Every observation, event, condition, command and command outcome of every asset.',
    schema: assetEventSchema,
    partitions: 6,
    retentionMs: -1,
    // A device resends what a crashed connector wrote but never acknowledged, with the same event id.
    repeats: { idField: 'eventId', window: 50_000 },
    consumers: [
      { service: 'streaming-service', group: 'streaming-service.asset-state' },
      { service: 'live-service', group: 'live-service.forwarder' },
      { service: 'lakehouse-sink-service', group: 'lakehouse-sink-service.asset-events' },
      { service: 'connector-service', group: 'connector-service.outbound' },
    ],
  }),
  /** Device data a connector could not turn into an asset event, with the reason (ADR 0003). */
  deviceDeadLetters: topic({
    name: 'connector.dlq.device-data',
    owner: 'connector-service',
    kind: 'dead-letter',
    description:
      'Unparsable payloads, unknown assets and wrong types, with dlq-* headers and the original bytes.',
    schema: OPAQUE_SCHEMA,
    partitions: 1,
    retentionMs: 30 * DAY_MS,
  }),
  /** Current value per asset attribute, compacted (key `<tenant>/<asset>/<attribute>`). */
  assetState: topic({
    name: 'streaming.asset-state.v1',
    owner: 'streaming-service',
    kind: 'state-change',
    description: 'The latest value of every asset attribute, derived from the asset stream.',
    schema: assetStateSchema,
    partitions: 6,
    retentionMs: -1,
    cleanupPolicy: 'compact',
  }),
  /** 1-minute and 1-hour windows per asset attribute, compacted per window. */
  assetAggregates: topic({
    name: 'streaming.asset-aggregates.v1',
    owner: 'streaming-service',
    kind: 'state-change',
    description: 'Windowed min/max/avg/count/last per asset attribute, the latest version of each window.',
    schema: assetAggregateSchema,
    partitions: 6,
    retentionMs: -1,
    cleanupPolicy: 'compact',
  }),
} as const;

export const streams = {
  tenancy: stream({
    name: 'TENANCY',
    owner: 'tenancy-service',
    description: 'Signals about tenants, kept for a week.',
  }),
} as const;

export const subjects = {
  /** Tenant lifecycle signals (ADR 0005 row C2), tenant id as the second token. */
  tenantChanged: subject({
    name: 'tenancy.{tenant}.tenant.changed',
    owner: 'tenancy-service',
    kind: 'signal',
    description: 'A tenant was created, updated or deleted.',
    schema: tenantChangedSchema,
    stream: 'TENANCY',
  }),
  /** A connector replica is alive, with its devices' status and counters (core NATS, every second). */
  connectorHeartbeat: subject({
    name: 'connector.{replica}.heartbeat',
    owner: 'connector-service',
    kind: 'signal',
    description: 'Replica liveness, device status and counters; the coordinator leases devices by it.',
    schema: heartbeatSchema,
    subscribers: ['connector-management-service'],
  }),
  /** The coordinator hands a replica its whole device set (request/reply). */
  connectorAssign: subject({
    name: 'connector.{replica}.assign',
    owner: 'connector-service',
    kind: 'command',
    description: 'Run exactly these devices; replies with what runs and what was rejected.',
    schema: assignmentSchema,
    reply: assignmentReplySchema,
    senders: ['connector-management-service'],
  }),
  /** A device command forwarded to the replica that owns the device (request/reply). */
  connectorCommand: subject({
    name: 'connector.{replica}.command',
    owner: 'connector-service',
    kind: 'command',
    description: 'Execute a device command on a device this replica runs.',
    schema: commandSchema,
    reply: commandOutcomeSchema,
    senders: ['connector-management-service'],
  }),
  /**
   * A command the coordinator answered itself, recorded on the asset stream by any live replica
   * (request/reply; the reply comes once Kafka acknowledged both events).
   */
  connectorCommandRecord: subject({
    name: 'connector.{replica}.command-record',
    owner: 'connector-service',
    kind: 'command',
    description: 'Record a command the coordinator answered itself, and its outcome, on the asset stream.',
    schema: commandRecordSchema,
    reply: commandRecordReplySchema,
    senders: ['connector-management-service'],
  }),
  /** Where anyone requests a device command (request/reply); the coordinator routes it. */
  deviceCommand: subject({
    name: 'connector-management.{tenant}.command',
    owner: 'connector-management-service',
    kind: 'command',
    description: "Request a command to an asset's device; the reply is its acknowledgement or typed failure.",
    schema: commandSchema,
    reply: commandOutcomeSchema,
  }),
  /** Live per-asset fan-out from the asset stream (ADR 0003 forwarders), never stored. */
  liveAssetEvents: subject({
    name: 'live.{tenant}.{asset}.{attribute}',
    owner: 'live-service',
    kind: 'live',
    description: 'Every asset event as it lands on the asset stream; gaps are recovered from state.',
    schema: assetEventSchema,
  }),
} as const;

export const platformRegistry = defineRegistry({
  topics: Object.values(topics),
  subjects: Object.values(subjects),
  streams: Object.values(streams),
});

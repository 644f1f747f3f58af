import { z } from 'zod';
import { payloadSchema } from '../model.ts';
import { assetId, attributeName, CONNECTOR_PROTOCOLS, EVENT_KINDS, tenantId } from './assets.ts';

// The contract between connector-management-service (the coordinator) and connector-service
// replicas (ADR 0014): device specs, assignments, heartbeats and device commands.

export const VALUE_TYPES = ['double', 'long', 'boolean', 'string', 'json'] as const;

const deadband = z.object({
  type: z.enum(['absolute', 'percent']),
  value: z.number().nonnegative(),
});

/**
 * One rule mapping device data to an asset attribute. `topic` (MQTT) may hold `{asset}` and
 * `{attribute}` placeholders, each standing for one topic level; `nodeId` or `browsePath` (OPC UA)
 * name a variable or an event notifier.
 */
export const pointMapping = z.object({
  asset: assetId.optional(),
  attribute: attributeName.optional(),
  kind: z.enum(EVENT_KINDS).default('sample'),
  valueType: z.enum(VALUE_TYPES).optional(),
  unit: z.string().max(64).optional(),
  /** MQTT: topic filter with optional {asset}/{attribute} levels. */
  topic: z.string().min(1).max(512).optional(),
  /** MQTT: how the payload is read. `json` accepts `{ value, ts?, seq?, quality?, unit? }`. */
  payload: z.enum(['json', 'plain']).optional(),
  /** OPC UA: a node id (`ns=1;s=Press1.Temperature`) or a browse path from Objects (`/1:Press1/1:Temperature`). */
  nodeId: z.string().min(1).max(512).optional(),
  browsePath: z.string().min(1).max(1024).optional(),
  samplingIntervalMs: z.number().int().nonnegative().optional(),
  deadband: deadband.optional(),
  /** Whether commands may write to this point. */
  writable: z.boolean().default(false),
});
export type PointMapping = z.infer<typeof pointMapping>;

/** A declared device, as applied from YAML (`openfoundry device up`) or the REST API. */
export const deviceSpec = z.object({
  tenant: tenantId,
  id: assetId,
  protocol: z.enum(CONNECTOR_PROTOCOLS),
  /** `mqtt://host:port`, `opc.tcp://host:port/path`; absent for HTTP push devices. */
  endpoint: z.string().min(1).max(1024).optional(),
  credentials: z.object({ username: z.string(), password: z.string() }).optional(),
  /** Defaults for every point. */
  sampling: z
    .object({ intervalMs: z.number().int().nonnegative(), deadband: deadband.optional() })
    .optional(),
  points: z.array(pointMapping).max(10_000),
  /** HTTP push: the assets this device may report for (empty = any asset id). */
  allowedAssets: z.array(assetId).optional(),
  /** Outbound "socket" adapter: asset events of these assets/attributes go out to MQTT or a webhook. */
  outbound: z
    .array(
      z.object({
        asset: assetId,
        attribute: attributeName.optional(),
        mqttTopic: z.string().min(1).max(512).optional(),
        webhookUrl: z.url().optional(),
      }),
    )
    .optional(),
  /** Bumped by the management service on every change of this spec. */
  revision: z.number().int().nonnegative(),
});
export type DeviceSpec = z.infer<typeof deviceSpec>;

/**
 * The whole assignment of one replica: the management service sends it on every change and the
 * replica makes its running device set equal to it. HTTP push devices go to every live replica.
 */
export const assignmentSchema = payloadSchema(
  'connector.assignment',
  1,
  z
    .object({
      replica: z.string().min(1).max(128),
      /** Increases with every assignment the coordinator sends; replicas ignore older ones. */
      version: z.number().int().nonnegative(),
      devices: z.array(deviceSpec),
    })
    .meta({ title: 'Connector assignment', description: 'Every device one connector replica runs.' }),
);

export const assignmentReplySchema = payloadSchema(
  'connector.assignment-reply',
  1,
  z
    .object({
      replica: z.string(),
      version: z.number().int().nonnegative(),
      running: z.array(z.string()),
      rejected: z.array(z.object({ tenant: z.string(), device: z.string(), reason: z.string() })),
    })
    .meta({ title: 'Assignment reply', description: 'What a replica runs after applying an assignment.' }),
);

export const DEVICE_STATUSES = ['starting', 'online', 'offline', 'error'] as const;

export const deviceCounters = z.object({
  received: z.number().int().nonnegative(),
  published: z.number().int().nonnegative(),
  deadLettered: z.number().int().nonnegative(),
  commands: z.number().int().nonnegative(),
});

/** A replica's liveness, every second: the coordinator leases devices by it. */
export const heartbeatSchema = payloadSchema(
  'connector.heartbeat',
  1,
  z
    .object({
      replica: z.string().min(1).max(128),
      protocols: z.array(z.enum(CONNECTOR_PROTOCOLS)),
      /** The replica's HTTP base URL (HTTP push endpoint, health). */
      url: z.url(),
      startedAt: z.iso.datetime({ offset: true }),
      at: z.iso.datetime({ offset: true }),
      /** The last assignment version it applied. */
      assignmentVersion: z.number().int().nonnegative(),
      /** False while draining for shutdown: the coordinator moves its devices away. */
      accepting: z.boolean(),
      devices: z.array(
        z.object({
          tenant: z.string(),
          device: z.string(),
          status: z.enum(DEVICE_STATUSES),
          detail: z.string().max(1024).optional(),
          counters: deviceCounters,
        }),
      ),
    })
    .meta({
      title: 'Connector heartbeat',
      description: 'A connector replica is alive; its devices and counters.',
    }),
);

export const COMMAND_ACTIONS = ['write', 'call', 'publish'] as const;
export const COMMAND_FAILURES = [
  'unknown-asset',
  'offline',
  'deadline-expired',
  'refused',
  'invalid',
  'error',
] as const;

/** A command to a device, as requested and as forwarded to the replica that owns the device. */
export const commandSchema = payloadSchema(
  'connector.command',
  1,
  z
    .object({
      commandId: z.uuid(),
      tenant: tenantId,
      assetId,
      /** write: set `target` (an attribute) to `arguments`; call: OPC UA method `target`; publish: MQTT command. */
      action: z.enum(COMMAND_ACTIONS),
      target: z.string().min(1).max(512),
      arguments: z.unknown(),
      deadline: z.iso.datetime({ offset: true }),
      requester: z.string().min(1).max(256),
    })
    .meta({ title: 'Device command', description: 'Write a value, call a method or publish to a device.' }),
);
export type DeviceCommand = z.infer<typeof commandSchema.zod>;

export const commandOutcomeSchema = payloadSchema(
  'connector.command-outcome',
  1,
  z
    .object({
      commandId: z.uuid(),
      status: z.enum(['acknowledged', 'failed']),
      failure: z.object({ code: z.enum(COMMAND_FAILURES), message: z.string() }).optional(),
      result: z.unknown().optional(),
      device: z.string().optional(),
      replica: z.string().optional(),
      completedAt: z.iso.datetime({ offset: true }),
    })
    .meta({ title: 'Command outcome', description: 'A device command was acknowledged or failed, and why.' }),
);
export type CommandOutcome = z.infer<typeof commandOutcomeSchema.zod>;

/**
 * A command the coordinator answered itself (no device maps the asset, no live replica runs the
 * device, routing failed), handed to any live replica to record on the asset stream: only
 * connector-service writes that topic.
 */
export const commandRecordSchema = payloadSchema(
  'connector.command-record',
  1,
  z.object({ command: commandSchema.zod, outcome: commandOutcomeSchema.zod }).meta({
    title: 'Command to record',
    description: 'A command and the outcome the coordinator gave it, for the asset stream.',
  }),
);
export type CommandToRecord = z.infer<typeof commandRecordSchema.zod>;

export const commandRecordReplySchema = payloadSchema(
  'connector.command-record-reply',
  1,
  z
    .object({
      commandId: z.uuid(),
      recorded: z.literal(true),
      /** The replica whose Kafka producer had both events acknowledged. */
      replica: z.string().min(1).max(128),
    })
    .meta({
      title: 'Command recorded',
      description: 'Both asset events of a command (command, command-result) are on the asset stream.',
    }),
);

import { z } from 'zod';
import { payloadSchema } from '../model.ts';

// The asset stream's one event shape (ADR 0003, ADR 0014). Everything downstream — state,
// aggregates, live subjects, the lakehouse — is computed from these records.

/** Tenant ids: lower-case slugs, also valid NATS subject tokens and Iceberg namespace names. */
export const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Asset ids and attribute names: one NATS subject token each, so live subjects need no escaping. */
export const ASSET_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
export const ATTRIBUTE = ASSET_ID;

export const tenantId = z.string().regex(TENANT_ID, 'tenant ids are lower-case letters, digits, _ and -');
export const assetId = z.string().regex(ASSET_ID, 'asset ids are letters, digits, _ and -, at most 128');
export const attributeName = z
  .string()
  .regex(ATTRIBUTE, 'attribute names are letters, digits, _ and -, at most 128');

/** The Kafka key of every asset-stream record: `<tenant>/<asset>` (ADR 0003). */
export function assetKey(tenant: string, asset: string): string {
  return `${tenant}/${asset}`;
}

/** Splits an asset-stream key; undefined when it is not `<tenant>/<asset>`. */
export function parseAssetKey(key: string): { tenant: string; asset: string } | undefined {
  const slash = key.indexOf('/');
  if (slash <= 0) return undefined;
  const tenant = key.slice(0, slash);
  const asset = key.slice(slash + 1);
  return TENANT_ID.test(tenant) && ASSET_ID.test(asset) ? { tenant, asset } : undefined;
}

export const EVENT_KINDS = ['sample', 'event', 'condition', 'command', 'command-result'] as const;
export const QUALITIES = ['good', 'uncertain', 'bad'] as const;
export const CONNECTOR_PROTOCOLS = ['mqtt', 'opcua', 'http'] as const;

/**
 * A typed value. `long` is a JSON integer within ±2^53 (exact in JavaScript and JSON); `json`
 * carries structured values (command arguments, OPC UA event fields).
 */
export const typedValue = z.discriminatedUnion('type', [
  z.object({ type: z.literal('double'), value: z.number() }),
  z.object({
    type: z.literal('long'),
    value: z
      .number()
      .int()
      .min(-(2 ** 53) + 1)
      .max(2 ** 53 - 1),
  }),
  z.object({ type: z.literal('boolean'), value: z.boolean() }),
  z.object({ type: z.literal('string'), value: z.string().max(65_536) }),
  z.object({ type: z.literal('json'), value: z.unknown() }),
  z.object({ type: z.literal('null'), value: z.null() }),
]);
export type TypedValue = z.infer<typeof typedValue>;
export type ValueType = TypedValue['type'];

export const assetEventSchema = payloadSchema(
  'connector.asset-event',
  1,
  z
    .object({
      /** Unique per event (UUID v7 from the connector): a replayed record keeps its id. */
      eventId: z.uuid(),
      tenant: tenantId,
      assetId,
      kind: z.enum(EVENT_KINDS),
      attribute: attributeName,
      value: typedValue,
      unit: z.string().max(64).optional(),
      quality: z.enum(QUALITIES),
      /** When the device observed it (the device's clock, or the connector's when it sends none). */
      sourceTime: z.iso.datetime({ offset: true }),
      /** When the connector accepted it. */
      ingestTime: z.iso.datetime({ offset: true }),
      /** The device's own sequence number, when it sends one. */
      sequence: z.number().int().nonnegative().optional(),
      source: z.object({
        protocol: z.enum([...CONNECTOR_PROTOCOLS, 'command']),
        /** The connector replica that wrote it. */
        replica: z.string().min(1).max(128),
        /** The declared device it came from. */
        device: z.string().min(1).max(128),
      }),
      /** For kind `command` / `command-result`: the command's id. */
      commandId: z.uuid().optional(),
    })
    .meta({
      title: 'Asset event',
      description:
        'One observation, event, condition, command or command outcome of one asset attribute, keyed <tenant>/<asset>.',
    }),
);
export type AssetEvent = z.infer<typeof assetEventSchema.zod>;

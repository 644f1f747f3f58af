import { z } from 'zod';
import { payloadSchema } from '../model.ts';
import { assetId, attributeName, EVENT_KINDS, QUALITIES, tenantId, typedValue } from './assets.ts';

/** The latest value of one asset attribute, keyed `<tenant>/<asset>/<attribute>` on a compacted topic. */
export const assetStateSchema = payloadSchema(
  'streaming.asset-state',
  1,
  z
    .object({
      tenant: tenantId,
      assetId,
      attribute: attributeName,
      kind: z.enum(EVENT_KINDS),
      value: typedValue,
      unit: z.string().optional(),
      quality: z.enum(QUALITIES),
      sourceTime: z.iso.datetime({ offset: true }),
      ingestTime: z.iso.datetime({ offset: true }),
      eventId: z.uuid(),
      /** Asset-stream position it reflects: `<partition>:<offset>`. */
      position: z.string(),
    })
    .meta({ title: 'Asset state', description: 'The current value of one asset attribute.' }),
);

/** One closed or updated window, keyed `<tenant>/<asset>/<attribute>/<window>/<windowStart>`. */
export const assetAggregateSchema = payloadSchema(
  'streaming.asset-aggregate',
  1,
  z
    .object({
      tenant: tenantId,
      assetId,
      attribute: attributeName,
      window: z.enum(['1m', '1h']),
      windowStart: z.iso.datetime({ offset: true }),
      windowEnd: z.iso.datetime({ offset: true }),
      count: z.number().int().nonnegative(),
      min: z.number().nullable(),
      max: z.number().nullable(),
      avg: z.number().nullable(),
      sum: z.number().nullable(),
      last: typedValue,
      lastTime: z.iso.datetime({ offset: true }),
    })
    .meta({
      title: 'Asset aggregate',
      description: 'Min, max, avg, count and last of one attribute in one window.',
    }),
);

import {
  assetId,
  attributeName,
  EVENT_KINDS,
  QUALITIES,
  tenantId,
  typedValue,
} from '@openfoundry/bus-registry';
import { apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

const WINDOW_SIZES_LIST = ['1m', '1h'] as const;

export const MAX_ASSET_PAGE = 1_000;
export const MAX_AGGREGATES = 10_000;

export const tenantParamSchema = tenantId;
export const assetParamSchema = assetId;

const timestamp = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp with offset' });

export const listAssetsQuerySchema = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_ASSET_PAGE)
    .default(100)
    .meta({ description: `Page size, at most ${MAX_ASSET_PAGE}.` }),
  cursor: assetId.optional().meta({ description: 'nextCursor of the previous page.' }),
});
export type ListAssetsQuery = z.output<typeof listAssetsQuerySchema>;

export const aggregatesQuerySchema = z
  .strictObject({
    window: z.enum(WINDOW_SIZES_LIST).default('1m').meta({ description: 'Window length.' }),
    attribute: attributeName.optional().meta({ description: 'Only this attribute.' }),
    from: timestamp.optional().meta({ description: 'Windows starting at or after this time.' }),
    to: timestamp.optional().meta({ description: 'Windows starting before this time.' }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_AGGREGATES)
      .default(1_000)
      .meta({ description: `At most this many windows, the newest first; at most ${MAX_AGGREGATES}.` }),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), {
    message: 'from must not be after to',
    path: ['from'],
  });
export type AggregatesQuery = z.output<typeof aggregatesQuerySchema>;

export const assetSummarySchema = z.object({
  assetId,
  attributes: z.number().int().meta({ description: 'Attributes with a current value.' }),
  lastSourceTime: z.iso.datetime(),
  lastIngestTime: z.iso.datetime(),
});
export type AssetSummary = z.output<typeof assetSummarySchema>;

export const assetPageSchema = apiSchema(
  'AssetPage',
  z.object({
    items: z.array(assetSummarySchema),
    nextCursor: z
      .string()
      .optional()
      .meta({ description: 'Pass as cursor for the next page; absent on the last.' }),
  }),
);
export type AssetPage = z.output<typeof assetPageSchema>;

export const attributeStateSchema = z.object({
  attribute: attributeName,
  kind: z.enum(EVENT_KINDS),
  value: typedValue,
  unit: z.string().optional(),
  quality: z.enum(QUALITIES),
  sourceTime: z.iso.datetime(),
  ingestTime: z.iso.datetime(),
  eventId: z.uuid(),
  position: z.string().meta({ description: 'Asset-stream position `<partition>:<offset>` of the event.' }),
});
export type AttributeState = z.output<typeof attributeStateSchema>;

export const assetStateSchema = apiSchema(
  'AssetState',
  z.object({ tenant: tenantId, assetId, attributes: z.array(attributeStateSchema) }),
);
export type AssetState = z.output<typeof assetStateSchema>;

export const windowSchema = z.object({
  attribute: attributeName,
  windowStart: z.iso.datetime(),
  windowEnd: z.iso.datetime(),
  count: z.number().int(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  avg: z.number().nullable(),
  sum: z.number().nullable(),
  last: typedValue,
  lastTime: z.iso.datetime(),
});
export type Window = z.output<typeof windowSchema>;

export const aggregatesSchema = apiSchema(
  'AssetAggregates',
  z.object({ tenant: tenantId, assetId, window: z.enum(WINDOW_SIZES_LIST), items: z.array(windowSchema) }),
);
export type Aggregates = z.output<typeof aggregatesSchema>;

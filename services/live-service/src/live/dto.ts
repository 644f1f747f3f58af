import { apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

const text = z.union([z.string(), z.array(z.string())]);

export const tenantParamSchema = z.string().min(1).max(63);

/** Documents the query; the filter values themselves are checked by filtersFromQuery. */
export const liveQuerySchema = apiSchema(
  'LiveQuery',
  z.object({
    asset: text.optional().meta({ description: 'An asset id, or * (default) for every asset' }),
    attribute: text.optional().meta({ description: 'An attribute name, or * (default) for every attribute' }),
    filter: text.optional().meta({
      description: '<asset>.<attribute> (either part *), repeated or comma-separated, for several filters',
    }),
    access_token: z
      .string()
      .optional()
      .meta({ description: 'The bearer token, for clients that cannot set the Authorization header' }),
  }),
);
export type LiveQuery = z.output<typeof liveQuerySchema>;

export const liveStatusSchema = apiSchema(
  'LiveStatus',
  z.object({
    connections: z.number().int(),
    subscriptions: z.number().int(),
    byTenant: z.record(z.string(), z.number().int()),
  }),
);

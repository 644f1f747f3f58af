import type { ServiceConfig } from '@openfoundry/service-kit';
import { z } from 'zod';

/**
 * `token=tenant,token=tenant`: static bearer tokens until the identity service issues real ones.
 * The tenant `*` is every tenant, for platform writers such as the lakehouse sink.
 */
const tokensSchema = z.string().transform((value, ctx) => {
  const tokens = new Map<string, string>();
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [token, tenant, ...rest] = pair.split('=');
    if (!token || !tenant || rest.length || !(tenant === '*' || /^[a-z0-9]+(-[a-z0-9]+)*$/.test(tenant))) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a comma-separated list of token=tenant-slug (or token=* for every tenant)',
      });
      return z.NEVER;
    }
    tokens.set(token, tenant);
  }
  return tokens;
});

export const catalogConfigSchema = z.object({
  /** The S3 API the warehouse lives on (path-style addressing, any S3-compatible server). */
  OPENFOUNDRY_S3_ENDPOINT: z.url({ protocol: /^https?$/ }),
  OPENFOUNDRY_S3_REGION: z.string().min(1).default('us-east-1'),
  OPENFOUNDRY_S3_ACCESS_KEY: z.string().min(1),
  OPENFOUNDRY_S3_SECRET_KEY: z.string().min(1),
  /** The bucket holding every table; its name is also the catalog's warehouse name and URL prefix. */
  OPENFOUNDRY_S3_WAREHOUSE_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
    .default('warehouse'),
  /** The S3 endpoint handed to clients, when they reach the object store by another address than the catalog does. */
  CATALOG_CLIENT_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** Bearer tokens and the tenant each one acts for (see ADR 0012). */
  CATALOG_TOKENS: tokensSchema.default(
    new Map([
      ['dev-acme-token', 'acme'],
      ['dev-globex-token', 'globex'],
    ]),
  ),
});

export type CatalogConfig = ServiceConfig<typeof catalogConfigSchema>;

import { type ServiceConfig, tenantTokensSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

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
  CATALOG_TOKENS: tenantTokensSchema({ allowAllTenants: true }).default(
    new Map([
      ['dev-acme-token', 'acme'],
      ['dev-globex-token', 'globex'],
      // The lakehouse sink writes every tenant's tables.
      ['dev-platform-token', '*'],
    ]),
  ),
});

export type CatalogConfig = ServiceConfig<typeof catalogConfigSchema>;

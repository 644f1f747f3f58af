import { apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

export const MAX_TENANT_DEPTH = 16;
export const MAX_PAGE_SIZE = 100;

export const slugSchema = z
  .string()
  .min(3)
  .max(63)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lowercase kebab-case (a-z, 0-9 and single dashes)');
export const tenantIdSchema = z.uuid({ error: 'must be a UUID' });
export const settingsSchema = z
  .record(z.string(), z.unknown())
  .meta({ description: 'A JSON object; children inherit it and override keys (deep merge, child wins).' });

export const createTenantSchema = apiSchema(
  'CreateTenant',
  z.strictObject({
    slug: slugSchema,
    name: z.string().trim().min(1).max(200),
    parentId: tenantIdSchema.nullable().optional(),
    settings: settingsSchema.optional(),
  }),
);
export type CreateTenant = z.output<typeof createTenantSchema>;

export const updateTenantSchema = apiSchema(
  'UpdateTenant',
  z
    .strictObject({
      name: z.string().trim().min(1).max(200).optional(),
      parentId: tenantIdSchema.nullable().optional().meta({
        description:
          'Move the tenant under another one (null: make it a root). Rejected with 409 TENANT_CYCLE when the new parent is the tenant itself or one of its descendants.',
      }),
      settings: settingsSchema.optional(),
      settingsMode: z.enum(['merge', 'replace']).default('merge').meta({
        description:
          'merge (default): JSON Merge Patch (RFC 7396) onto the current settings, null removes a key; replace: the settings become exactly the given object.',
      }),
    })
    .refine((body) => body.name !== undefined || body.parentId !== undefined || body.settings !== undefined, {
      message: 'give at least one of name, parentId, settings',
    }),
);
export type UpdateTenant = z.output<typeof updateTenantSchema>;

export const listTenantsQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(50)
    .meta({ description: `Page size, at most ${MAX_PAGE_SIZE}.` }),
  cursor: z.string().min(1).max(200).optional().meta({ description: 'nextCursor of the previous page.' }),
  parentId: tenantIdSchema.optional().meta({ description: 'Only the direct children of this tenant.' }),
});
export type ListTenantsQuery = z.output<typeof listTenantsQuerySchema>;

export const pageQuerySchema = listTenantsQuerySchema.omit({ parentId: true });
export type PageQuery = z.output<typeof pageQuerySchema>;

export const deleteTenantQuerySchema = z.object({
  cascade: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .meta({
      description:
        'Delete the whole subtree. Without it a tenant that has children is kept (409 TENANT_HAS_CHILDREN).',
    }),
});

export const tenantSchema = apiSchema(
  'Tenant',
  z.object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    parentId: z.uuid().nullable(),
    settings: settingsSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);

export const tenantPageSchema = apiSchema(
  'TenantPage',
  z.object({
    items: z.array(tenantSchema),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as cursor for the next page; null on the last page.' }),
  }),
);

export const tenantListSchema = apiSchema('TenantList', z.object({ items: z.array(tenantSchema) }));

export const effectiveSettingsSchema = apiSchema(
  'EffectiveSettings',
  z.object({
    tenantId: z.uuid(),
    settings: settingsSchema,
    sources: z.record(z.string(), z.object({ tenantId: z.uuid(), slug: z.string() })).meta({
      description: 'For each top-level key, the nearest tenant (self first, then ancestors) that sets it.',
    }),
    chain: z
      .array(z.object({ id: z.uuid(), slug: z.string() }))
      .meta({ description: 'The tenants merged, root first, the tenant itself last.' }),
  }),
);

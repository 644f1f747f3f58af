import { z } from 'zod';
import { payloadSchema } from '../model.ts';

const tenantFields = {
  tenantId: z.uuid(),
  slug: z.string().min(1).max(63),
  name: z.string().min(1).max(200),
  parentId: z.uuid().nullable(),
};

/** A tenant's state after a change; a compacted topic keyed by tenant id keeps the latest. */
export const tenantStateSchema = payloadSchema(
  'tenancy.tenant-state',
  1,
  z
    .object({
      ...tenantFields,
      /** The tenant's own settings (not the inherited, effective ones). */
      settings: z.record(z.string(), z.unknown()),
      deleted: z.boolean(),
      updatedAt: z.iso.datetime({ offset: true }),
    })
    .meta({ title: 'Tenant state', description: 'A tenant as it is after one change.' }),
);

/** "Something happened to this tenant": react now, recover from the tenancy API otherwise. */
export const tenantChangedSchema = payloadSchema(
  'tenancy.tenant-changed',
  1,
  z
    .object({
      ...tenantFields,
      change: z.enum(['created', 'updated', 'deleted']),
      at: z.iso.datetime({ offset: true }),
    })
    .meta({ title: 'Tenant changed', description: 'A tenant was created, updated or deleted.' }),
);

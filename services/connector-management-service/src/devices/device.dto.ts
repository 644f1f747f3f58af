import {
  assetId,
  CONNECTOR_PROTOCOLS,
  DEVICE_STATUSES,
  deviceCounters,
  deviceSpec,
  tenantId,
} from '@openfoundry/bus-registry';
import { apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

export const MAX_PAGE_SIZE = 500;

export const tenantParam = tenantId;
export const deviceParam = assetId;

/**
 * What `PUT /v1/tenants/{tenant}/devices/{device}` takes: a device spec whose tenant, id and revision
 * may be left out (the path names the device; the service assigns revisions). Given ones must match.
 * Unknown fields are refused, so a misspelt key is an error rather than silently ignored.
 */
export const deviceBodySchema = apiSchema(
  'DeviceBody',
  deviceSpec
    .extend({
      tenant: tenantId.optional(),
      id: assetId.optional(),
      revision: z.number().int().positive().optional().meta({
        description: 'When given, the device must be at this revision (409 REVISION_CONFLICT otherwise).',
      }),
    })
    .strict(),
);
export type DeviceBody = z.output<typeof deviceBodySchema>;

export const storedDeviceSchema = apiSchema('Device', deviceSpec);
export type StoredDevice = z.output<typeof storedDeviceSchema>;

export const applyResultSchema = apiSchema(
  'ApplyResult',
  z.object({
    result: z.enum(['created', 'updated', 'unchanged']),
    device: storedDeviceSchema,
  }),
);

export const devicePageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(100),
  cursor: z.string().min(1).max(400).optional().meta({ description: 'nextCursor of the previous page.' }),
});
export type DevicePageQuery = z.output<typeof devicePageQuerySchema>;

export const deviceSummarySchema = z.object({
  tenant: z.string(),
  id: z.string(),
  protocol: z.enum(CONNECTOR_PROTOCOLS),
  revision: z.number().int(),
  status: z.string(),
  replicas: z.array(z.string()),
  updatedAt: z.string(),
});
export type DeviceSummary = z.output<typeof deviceSummarySchema>;

export const devicePageSchema = apiSchema(
  'DevicePage',
  z.object({ items: z.array(deviceSummarySchema), nextCursor: z.string().nullable() }),
);
export type DevicePage = z.output<typeof devicePageSchema>;

export const replicaStatusSchema = z.object({
  replica: z.string(),
  live: z.boolean(),
  status: z.enum(DEVICE_STATUSES),
  detail: z.string().nullable(),
  counters: deviceCounters,
  lastSeen: z.string(),
});

export const OVERALL_STATUSES = ['online', 'starting', 'error', 'offline', 'pending', 'unassigned'] as const;

export const deviceInspectionSchema = apiSchema(
  'DeviceInspection',
  z.object({
    spec: storedDeviceSchema,
    revision: z.number().int(),
    /** The live replicas this device is assigned to now. */
    replicas: z.array(z.string()),
    status: z.enum(OVERALL_STATUSES).meta({
      description:
        'online/starting/error/offline as its replicas report it (the best of them); pending: assigned, not reported yet; unassigned: no live replica runs it',
    }),
    detail: z.string().nullable(),
    counters: deviceCounters,
    lastSeen: z.string().nullable(),
    byReplica: z.array(replicaStatusSchema),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
);
export type DeviceInspection = z.output<typeof deviceInspectionSchema>;

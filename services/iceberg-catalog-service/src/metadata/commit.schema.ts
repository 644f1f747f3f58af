import { z } from 'zod';
import type { Schema, Snapshot, SortOrder, StatisticsFile } from './table-metadata.ts';

/** A partition spec as a client sends it: field ids may be left for the catalog to assign. */
export interface NewPartitionSpec {
  'spec-id'?: number;
  fields: { 'source-id': number; 'field-id'?: number; name: string; transform: string }[];
}

/** An Iceberg `long`: JSON numbers beyond 2^53 arrive as bigints (see lossless-json). */
export const longSchema = z.union([z.number().int(), z.bigint()]);

// Nested shapes are checked for the fields the catalog itself reads; everything else a client
// sends (docs, defaults, summary entries, newer fields) is kept as it came.
const fieldSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  required: z.boolean(),
  type: z.unknown(),
});
export const schemaSchema = z.looseObject({
  type: z.literal('struct'),
  'schema-id': z.number().int().optional(),
  'identifier-field-ids': z.array(z.number().int()).optional(),
  fields: z.array(fieldSchema),
}) as unknown as z.ZodType<Omit<Schema, 'schema-id'> & { 'schema-id'?: number }>;

export const partitionSpecSchema = z.looseObject({
  'spec-id': z.number().int().optional(),
  fields: z.array(
    z.looseObject({
      'source-id': z.number().int(),
      'field-id': z.number().int().optional(),
      name: z.string(),
      transform: z.string(),
    }),
  ),
}) as unknown as z.ZodType<NewPartitionSpec>;

export const sortOrderSchema = z.looseObject({
  'order-id': z.number().int().optional(),
  fields: z.array(
    z.looseObject({
      'source-id': z.number().int(),
      transform: z.string(),
      direction: z.enum(['asc', 'desc']),
      'null-order': z.enum(['nulls-first', 'nulls-last']),
    }),
  ),
}) as unknown as z.ZodType<{ 'order-id'?: number; fields: SortOrder['fields'] }>;

export const snapshotSchema = z.looseObject({
  'snapshot-id': longSchema,
  'parent-snapshot-id': longSchema.nullable().optional(),
  'sequence-number': longSchema.optional(),
  'timestamp-ms': z.number().int(),
  'manifest-list': z.string().optional(),
  summary: z.looseObject({ operation: z.string() }),
  'schema-id': z.number().int().optional(),
}) as unknown as z.ZodType<Snapshot>;

const statisticsSchema = z.looseObject({
  'snapshot-id': longSchema,
  'statistics-path': z.string(),
}) as unknown as z.ZodType<StatisticsFile>;

const refTypeSchema = z.enum(['branch', 'tag']);

export const requirementSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('assert-create') }),
  z.object({ type: z.literal('assert-table-uuid'), uuid: z.string() }),
  z.object({
    type: z.literal('assert-ref-snapshot-id'),
    ref: z.string(),
    'snapshot-id': longSchema.nullable(),
  }),
  z.object({ type: z.literal('assert-last-assigned-field-id'), 'last-assigned-field-id': z.number().int() }),
  z.object({ type: z.literal('assert-current-schema-id'), 'current-schema-id': z.number().int() }),
  z.object({
    type: z.literal('assert-last-assigned-partition-id'),
    'last-assigned-partition-id': z.number().int(),
  }),
  z.object({ type: z.literal('assert-default-spec-id'), 'default-spec-id': z.number().int() }),
  z.object({ type: z.literal('assert-default-sort-order-id'), 'default-sort-order-id': z.number().int() }),
]);
export type TableRequirement = z.output<typeof requirementSchema>;

/** The updates tables and views share. */
export const sharedUpdateSchemas = [
  z.object({ action: z.literal('assign-uuid'), uuid: z.uuid() }),
  z.object({ action: z.literal('upgrade-format-version'), 'format-version': z.number().int() }),
  z.object({
    action: z.literal('add-schema'),
    schema: schemaSchema,
    'last-column-id': z.number().int().optional(),
  }),
  z.object({ action: z.literal('set-location'), location: z.string().min(1) }),
  z.object({ action: z.literal('set-properties'), updates: z.record(z.string(), z.string()) }),
  z.object({ action: z.literal('remove-properties'), removals: z.array(z.string()) }),
] as const;
type SharedUpdate = z.output<(typeof sharedUpdateSchemas)[number]>;

/** Applies set-location, set-properties or remove-properties; false for any other update. */
export function applyLocationOrProperties(
  target: { location: string; properties: Record<string, string> },
  update: SharedUpdate | { action: string },
): boolean {
  const shared = update as SharedUpdate;
  if (shared.action === 'set-location') target.location = shared.location.replace(/\/+$/, '');
  else if (shared.action === 'set-properties') Object.assign(target.properties, shared.updates);
  else if (shared.action === 'remove-properties')
    for (const key of shared.removals) delete target.properties[key];
  else return false;
  return true;
}

export const updateSchema = z.discriminatedUnion('action', [
  ...sharedUpdateSchemas,
  z.object({ action: z.literal('set-current-schema'), 'schema-id': z.number().int() }),
  z.object({ action: z.literal('add-spec'), spec: partitionSpecSchema }),
  z.object({ action: z.literal('set-default-spec'), 'spec-id': z.number().int() }),
  z.object({ action: z.literal('add-sort-order'), 'sort-order': sortOrderSchema }),
  z.object({ action: z.literal('set-default-sort-order'), 'sort-order-id': z.number().int() }),
  z.object({ action: z.literal('add-snapshot'), snapshot: snapshotSchema }),
  z.object({
    action: z.literal('set-snapshot-ref'),
    'ref-name': z.string().min(1),
    type: refTypeSchema,
    'snapshot-id': longSchema,
    'max-ref-age-ms': z.number().int().optional(),
    'max-snapshot-age-ms': z.number().int().optional(),
    'min-snapshots-to-keep': z.number().int().optional(),
  }),
  z.object({ action: z.literal('remove-snapshots'), 'snapshot-ids': z.array(longSchema) }),
  z.object({ action: z.literal('remove-snapshot-ref'), 'ref-name': z.string().min(1) }),
  z.object({
    action: z.literal('set-statistics'),
    'snapshot-id': longSchema.optional(),
    statistics: statisticsSchema,
  }),
  z.object({ action: z.literal('remove-statistics'), 'snapshot-id': longSchema }),
  z.object({
    action: z.literal('set-partition-statistics'),
    'partition-statistics': z.object({
      'snapshot-id': longSchema,
      'statistics-path': z.string(),
      'file-size-in-bytes': z.number().int(),
    }),
  }),
  z.object({ action: z.literal('remove-partition-statistics'), 'snapshot-id': longSchema }),
  z.object({ action: z.literal('remove-partition-specs'), 'spec-ids': z.array(z.number().int()) }),
  z.object({ action: z.literal('remove-schemas'), 'schema-ids': z.array(z.number().int()) }),
]);
export type TableUpdate = z.output<typeof updateSchema>;

export const tableIdentifierSchema = z.object({
  namespace: z.array(z.string().min(1)).min(1),
  name: z.string().min(1),
});
export type TableIdentifier = z.output<typeof tableIdentifierSchema>;

export const commitTableRequestSchema = z.object({
  identifier: tableIdentifierSchema.optional(),
  requirements: z.array(requirementSchema).default([]),
  updates: z.array(updateSchema).default([]),
});
export type CommitTableRequest = z.output<typeof commitTableRequestSchema>;

export const commitTransactionRequestSchema = z.object({
  'table-changes': z.array(commitTableRequestSchema.extend({ identifier: tableIdentifierSchema })).min(1),
});
export type CommitTransactionRequest = z.output<typeof commitTransactionRequestSchema>;

export const createTableRequestSchema = z.object({
  name: z.string().min(1),
  location: z.string().min(1).optional(),
  schema: schemaSchema,
  'partition-spec': partitionSpecSchema.optional(),
  'write-order': sortOrderSchema.optional(),
  'stage-create': z.boolean().optional(),
  properties: z.record(z.string(), z.string()).optional(),
});
export type CreateTableRequest = z.output<typeof createTableRequestSchema>;

import { apiSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

export const listCommitsQuerySchema = apiSchema(
  'ListCommitsQuery',
  z.strictObject({
    tenant: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a tenant id')
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z
      .string()
      .regex(/^\d{1,19}$/, 'must be a commit id')
      .optional()
      .meta({ description: 'Only commits with a smaller id (the previous page’s last id).' }),
  }),
);
export type ListCommitsQuery = z.output<typeof listCommitsQuerySchema>;

const offsets = z
  .record(z.string(), z.string())
  .meta({ description: 'Kafka partition → next offset (decimal text), as the snapshot summary carries it.' });

export const commitSchema = apiSchema(
  'SinkCommit',
  z.object({
    id: z.string(),
    tenant: z.string(),
    table: z.string().meta({ description: '<tenant>.<namespace>.<table>' }),
    snapshotId: z.string().meta({ description: 'The Iceberg snapshot id (63-bit, decimal text).' }),
    records: z.number().int(),
    duplicates: z
      .number()
      .int()
      .meta({ description: 'Records dropped because the table already held their offsets.' }),
    bytes: z.number().int(),
    offsets,
    attempts: z.number().int(),
    durationMs: z.number().int(),
    committedAt: z.string(),
  }),
);

export const commitListSchema = apiSchema('SinkCommitList', z.object({ commits: z.array(commitSchema) }));

export const statusSchema = apiSchema(
  'SinkStatus',
  z.object({
    topic: z.string(),
    group: z.string(),
    running: z.boolean(),
    failure: z.string().nullable(),
    consumer: z.object({
      batches: z.number().int(),
      records: z.number().int(),
      deadLettered: z.number().int(),
      retried: z.number().int(),
      repeats: z.number().int().meta({
        description:
          'Records skipped as repeats of an earlier one (a device resend after a connector crash, ADR 0016).',
      }),
    }),
    partitions: z.array(
      z.object({
        partition: z.number().int(),
        read: z.string(),
        committed: z.string().nullable().meta({
          description:
            'The next offset Kafka was told; read − committed is what this instance holds in memory.',
        }),
        end: z
          .string()
          .nullable()
          .meta({ description: 'The end of the partition (null if the broker did not say).' }),
        lag: z.string().nullable().meta({
          description: 'Records on the partition not yet in Iceberg through this instance: end − committed.',
        }),
      }),
    ),
    tenants: z.array(
      z.object({
        tenant: z.string(),
        table: z.string(),
        bufferedRecords: z.number().int(),
        bufferedBytes: z.number().int(),
        bufferedForMs: z.number().int(),
        lastCommit: z
          .object({ at: z.string(), snapshotId: z.string().optional(), records: z.number().int() })
          .nullable(),
        lastError: z.object({ at: z.string(), message: z.string() }).nullable(),
        lastMaintenance: z
          .object({
            at: z.string(),
            table: z.string(),
            compactedFiles: z.number().int(),
            addedFiles: z.number().int(),
            expiredSnapshots: z.number().int(),
            deletedFiles: z.number().int(),
            orphans: z.number().int(),
          })
          .nullable(),
      }),
    ),
    lastCommits: z
      .array(commitSchema)
      .meta({ description: 'The newest logged commit of every tenant (all instances).' }),
  }),
);

import type { ServiceConfig } from '@openfoundry/service-kit';
import { z } from 'zod';

const MIB = 1024 * 1024;

export const sinkConfigSchema = z.object({
  /** The Iceberg REST catalog (iceberg-catalog-service), without /v1. */
  SINK_CATALOG_URL: z.url({ protocol: /^https?$/ }),
  /** A catalog token that acts for every tenant (`CATALOG_TOKENS` entry `<token>=*`). */
  SINK_CATALOG_TOKEN: z.string().min(1),
  /** The warehouse asked of the catalog's /v1/config; S3 settings come from the catalog's answers. */
  SINK_WAREHOUSE: z.string().min(1).default('warehouse'),
  /** How long boot waits for an unreachable catalog (it may be starting too) before giving up. */
  SINK_CATALOG_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(60_000),
  /** The namespace under each tenant's root: tables live in `<tenant>.<SINK_NAMESPACE>`. */
  SINK_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a lower-case identifier')
    .default('telemetry'),
  SINK_TABLE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a lower-case identifier')
    .default('asset_events'),
  /** A tenant's buffer is committed once its oldest record has waited this long. */
  SINK_COMMIT_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** …or as soon as it holds this many bytes (Kafka key + value). */
  SINK_COMMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * MIB)
    .default(64 * MIB),
  /** …or, across tenants, as soon as everything buffered reaches this: the largest buffers go first. */
  SINK_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * MIB)
    .default(256 * MIB),
  /** How often the tables this instance wrote to are compacted and expired; 0 turns it off. */
  SINK_MAINTENANCE_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  /**
   * A table is also maintained once this instance has committed to it this many times since its
   * last maintenance (each commit adds a small file per day it touches; a table read through the
   * Flight SQL edge pays for every one). 0 turns it off.
   */
  SINK_MAINTENANCE_COMMITS: z.coerce.number().int().min(0).max(100_000).default(60),
  /** Data files below this are packed together by compaction. */
  SINK_COMPACT_TARGET_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(4096 * MIB)
    .default(128 * MIB),
  /** Snapshots older than this are expired (the newest SINK_RETAIN_SNAPSHOTS always stay). */
  SINK_SNAPSHOT_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(24 * 3_600_000),
  SINK_RETAIN_SNAPSHOTS: z.coerce.number().int().min(1).max(10_000).default(10),
  /** How many old metadata files the tables this sink creates keep in their log. */
  SINK_METADATA_VERSIONS_MAX: z.coerce.number().int().min(1).max(1000).default(20),
});

export type SinkConfig = ServiceConfig<typeof sinkConfigSchema>;

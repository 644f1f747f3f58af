import { type ServiceConfig, tenantTokensSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

export const streamingConfigSchema = z.object({
  /** Bearer tokens of the REST API and the tenant each one reads. */
  STREAMING_TOKENS: tenantTokensSchema().default(
    new Map([
      ['dev-acme-token', 'acme'],
      ['dev-globex-token', 'globex'],
    ]),
  ),
  /** Bearer token of /v1/admin/*; unset: the admin endpoints answer 403. */
  STREAMING_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Largest batch the projection applies in one transaction. */
  STREAMING_BATCH_MAX_RECORDS: z.coerce.number().int().min(1).max(100_000).default(20_000),
  /**
   * How long the oldest record of a batch waits for more (ADR 0023). Each batch is one transaction
   * and one outbox row per changed state and window, so under load larger batches cost less per
   * event; state lags the stream by about this much.
   */
  STREAMING_BATCH_MAX_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(1_000),
  /** Set false to run HTTP only (no consumer), e.g. a read replica of the REST API. */
  STREAMING_CONSUME: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
});

export type StreamingConfig = ServiceConfig<typeof streamingConfigSchema>;

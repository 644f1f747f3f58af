import { type ServiceConfig, tenantTokensSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

const flag = z
  .enum(['true', 'false'])
  .transform((value) => value === 'true')
  .default(true);
const count = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const liveConfigSchema = z.object({
  /** Bearer tokens and the tenant each one acts for. */
  LIVE_TOKENS: tenantTokensSchema().default(
    new Map([
      ['dev-acme-token', 'acme'],
      ['dev-globex-token', 'globex'],
    ]),
  ),
  /** Run the asset-stream forwarders in this process (false: serve subscriptions only). */
  LIVE_FORWARDERS_ENABLED: flag,
  /** Most records per forwarded batch (one NATS flush and one Kafka commit each). */
  LIVE_FORWARDER_MAX_RECORDS: count(1, 100_000, 5_000),
  /**
   * How long the consumer waits to fill a batch. 0 (default): not at all — an event reaching an idle
   * forwarder goes out at once, and batches grow by themselves while one is being published.
   */
  LIVE_FORWARDER_MAX_WAIT_MS: count(0, 10_000, 0),
  /**
   * Where the forwarder group starts when it has no committed offsets: `latest` (live means now;
   * older events are in state and the lakehouse) or `earliest`.
   */
  LIVE_FORWARDER_FROM: z.enum(['latest', 'earliest']).default('latest'),
  /** How often per-partition progress is written to Postgres. */
  LIVE_PROGRESS_INTERVAL_MS: count(50, 60_000, 1_000),
  /** Events waiting for one slow client before newer ones are dropped (and a gap reported). */
  LIVE_QUEUE_LIMIT: count(1, 100_000, 1_000),
  /** Filters one SSE/WebSocket connection may hold. */
  LIVE_MAX_FILTERS_PER_CONNECTION: count(1, 1_000, 50),
  /** Open live connections per tenant on this instance. */
  LIVE_MAX_CONNECTIONS_PER_TENANT: count(1, 100_000, 200),
  /** SSE heartbeat comment interval (WebSocket pings use the same interval). */
  LIVE_HEARTBEAT_MS: count(100, 300_000, 15_000),
});

export type LiveConfig = ServiceConfig<typeof liveConfigSchema>;

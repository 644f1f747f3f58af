import { type ServiceConfig, tenantTokensSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

/** The tenant an admin token acts for: every tenant. */
export const ALL_TENANTS = '*';

const regexSchema = z.string().transform((value, ctx) => {
  try {
    return new RegExp(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a regular expression' });
    return z.NEVER;
  }
});

export const connectorManagementConfigSchema = z.object({
  /** Bearer tokens and the tenant each acts for; `*` marks an admin token. */
  CONNECTOR_TOKENS: tenantTokensSchema({ allowAllTenants: true }).default(
    new Map([
      ['dev-acme-token', 'acme'],
      ['dev-globex-token', 'globex'],
      ['dev-admin-token', ALL_TENANTS],
    ]),
  ),
  /** A replica whose last heartbeat is older than this is dead and loses its devices. */
  CONNECTOR_LEASE_MS: z.coerce.number().int().min(500).max(600_000).default(3_000),
  /** How often the coordinator looks for expired leases and unanswered assignments. */
  CONNECTOR_RECONCILE_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  /** How long an assignment request waits for the replica's reply before it is sent again. */
  CONNECTOR_ASSIGN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** A device's stored status is rewritten at most this often unless it changes. */
  CONNECTOR_STATUS_WRITE_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  /** How often commands this service answered itself are handed to a live replica to record on the asset stream. */
  CONNECTOR_RECORD_RELAY_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** How many such commands one relay run hands over at most (oldest first). */
  CONNECTOR_RECORD_BATCH: z.coerce.number().int().min(1).max(10_000).default(100),
  /**
   * Only replicas whose id matches this regular expression are coordinated (default: all). Lets
   * several coordinators share one NATS server, one per site or per test run.
   */
  CONNECTOR_REPLICA_FILTER: regexSchema.default(/^/),
});

export type ConnectorManagementConfig = ServiceConfig<typeof connectorManagementConfigSchema>;

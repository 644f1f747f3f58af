import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { CONNECTOR_PROTOCOLS } from '@openfoundry/bus-registry';
import { type ServiceConfig, tenantTokensSchema } from '@openfoundry/service-kit';
import { z } from 'zod';

/** A replica id is one NATS subject token (`connector.{replica}.heartbeat`). */
const REPLICA_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** `<hostname>-<pid>` with every character a subject token cannot hold replaced by `-`. */
export function defaultReplicaId(host = hostname(), pid = process.pid): string {
  return `${host.replace(/[^A-Za-z0-9_-]/g, '-')}-${pid}`.slice(-128);
}

export const connectorConfigSchema = z.object({
  /** This replica's id in subjects and heartbeats. */
  CONNECTOR_REPLICA_ID: z
    .string()
    .regex(REPLICA_ID, 'must be one NATS subject token: letters, digits, _ and -')
    .default(() => defaultReplicaId()),
  /** The HTTP base URL announced in heartbeats (where HTTP push devices post); default http://HOST:PORT. */
  CONNECTOR_PUBLIC_URL: z.url().optional(),
  /** Protocols this replica runs, comma-separated. */
  CONNECTOR_PROTOCOLS: z
    .string()
    .default(CONNECTOR_PROTOCOLS.join(','))
    .transform((text) => text.split(',').map((p) => p.trim()))
    .pipe(z.array(z.enum(CONNECTOR_PROTOCOLS)).min(1)),
  /** HTTP push bearer tokens: `token=tenant,…`; `token=*` may push for every tenant. None: every push is 401. */
  CONNECTOR_INGEST_TOKENS: tenantTokensSchema({ allowAllTenants: true }).default(new Map()),
  /**
   * `false` announces a standby replica (heartbeat `accepting: false` from the start): the
   * coordinator leases it no devices, but it still runs what it is assigned.
   */
  CONNECTOR_ACCEPTING: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Run the outbound adapter (consume the asset stream for devices' `outbound` rules). */
  CONNECTOR_OUTBOUND: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Records published but not yet acknowledged by Kafka before HTTP push answers 503. */
  CONNECTOR_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(10_000),
  CONNECTOR_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(1_000),
  /** A device timestamp further in the future than this is dead-lettered (out-of-range-time). */
  CONNECTOR_MAX_FUTURE_SKEW_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5 * 60_000),
  /** A device timestamp older than this is dead-lettered (out-of-range-time). */
  CONNECTOR_MAX_AGE_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(30 * 24 * 3_600_000),
  /** How long a device command may run when its deadline is further away. */
  CONNECTOR_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * The OPC UA client's certificate store: its own certificate, made on first use with this
   * service's application URI, and the servers' certificates it saw.
   */
  CONNECTOR_OPCUA_PKI_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.config', 'openfoundry', 'connector-service', 'opcua-pki')),
});

export type ConnectorConfig = ServiceConfig<typeof connectorConfigSchema>;

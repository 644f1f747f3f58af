import { type LakehouseOptions, parseStaticUsers } from '@openfoundry/query-engine';
import { ConfigError, type ServiceConfig } from '@openfoundry/service-kit';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const sqlGatewayConfigSchema = z.object({
  /** gRPC port of the Flight SQL server; HTTP health stays on the manifest port. */
  FLIGHT_SQL_PORT: z.coerce.number().int().min(0).max(65_535).default(50_133),
  FLIGHT_SQL_HOST: z.string().min(1).default('127.0.0.1'),
  /** PEM files; when both are set the gRPC port speaks TLS only. */
  FLIGHT_SQL_TLS_CERT_FILE: z.string().min(1).optional(),
  FLIGHT_SQL_TLS_KEY_FILE: z.string().min(1).optional(),
  /**
   * Static development credentials until identity-service issues tokens:
   * `name:password[:catalog,catalog]` entries separated by `;` or spaces.
   */
  OPENFOUNDRY_SQL_USERS: z
    .string()
    .default('openfoundry:openfoundry analyst:analyst:duckdb')
    .superRefine((value, ctx) => {
      try {
        parseStaticUsers(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  SQL_TOKEN_TTL_MS: positiveInt(12 * 60 * 60 * 1000),
  /** Signed DuckDB extensions (postgres_scanner); written by `npm run infra` into platform.env. */
  OPENFOUNDRY_DUCKDB_EXTENSION_DIR: z.string().min(1).optional(),
  /** The database exposed read-only as the `postgres` catalog; the service's own database when unset. */
  SQL_POSTGRES_CATALOG_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  SQL_POSTGRES_CATALOG: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /**
   * The Iceberg REST catalog served as the `lakehouse` catalog (iceberg-catalog-service); unset, no
   * lakehouse. Its token and warehouse are then required: the token decides the tenant whose
   * namespaces every user granted `lakehouse` sees.
   */
  SQL_LAKEHOUSE_CATALOG_URL: z.url({ protocol: /^https?$/ }).optional(),
  SQL_LAKEHOUSE_TOKEN: z.string().min(1).optional(),
  SQL_LAKEHOUSE_WAREHOUSE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name')
    .default('warehouse'),
  /** How long boot waits for the catalog to answer (it may be starting alongside). */
  SQL_LAKEHOUSE_CONNECT_TIMEOUT_MS: positiveInt(60_000),
  SQL_BATCH_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(2 * 1024 * 1024),
  SQL_MAX_CONCURRENT: z.coerce.number().int().min(1).default(8),
  SQL_MAX_QUEUED: positiveInt(64),
  /** 0 disables the limits. */
  SQL_STATEMENT_TIMEOUT_MS: positiveInt(0),
  SQL_MAX_ROWS: positiveInt(0),
  SQL_MAX_RESULT_BYTES: positiveInt(0),
  SQL_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(4 * 1024 * 1024)
    .default(256 * 1024 * 1024),
});

export type SqlGatewayConfig = ServiceConfig<typeof sqlGatewayConfigSchema>;

/**
 * The `lakehouse` engine options, or undefined when no catalog is configured. The token is checked
 * here rather than in the schema, which the service kit merges field by field (dropping refinements).
 */
export function lakehouseOptions(config: SqlGatewayConfig): LakehouseOptions | undefined {
  if (!config.SQL_LAKEHOUSE_CATALOG_URL) return undefined;
  if (!config.SQL_LAKEHOUSE_TOKEN)
    throw new ConfigError(['SQL_LAKEHOUSE_TOKEN is required when SQL_LAKEHOUSE_CATALOG_URL is set']);
  return {
    endpoint: config.SQL_LAKEHOUSE_CATALOG_URL,
    token: config.SQL_LAKEHOUSE_TOKEN,
    warehouse: config.SQL_LAKEHOUSE_WAREHOUSE,
    connectTimeoutMs: config.SQL_LAKEHOUSE_CONNECT_TIMEOUT_MS,
  };
}

/** libpq keyword/value form of a postgres:// URL, which DuckDB's postgres scanner takes. */
export function libpqConnectionString(url: string): string {
  const parsed = new URL(url);
  const quote = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const parts = [
    `host=${quote(parsed.hostname)}`,
    `port=${parsed.port || '5432'}`,
    `dbname=${quote(decodeURIComponent(parsed.pathname.slice(1)))}`,
  ];
  if (parsed.username) parts.push(`user=${quote(decodeURIComponent(parsed.username))}`);
  if (parsed.password) parts.push(`password=${quote(decodeURIComponent(parsed.password))}`);
  return parts.join(' ');
}

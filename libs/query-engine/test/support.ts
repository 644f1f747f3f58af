import { readPlatformEnv } from '@openfoundry/infra-local';

/** The gRPC status a call failed with, or undefined when it succeeded. */
export async function grpcCode(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

/** The infra's Postgres as a libpq connection string, and the DuckDB extension directory. */
export function platformPostgres(): { libpq: string; extensionDirectory: string | undefined } {
  const platform = readPlatformEnv();
  const url = new URL(platform.OPENFOUNDRY_PG_ADMIN_URL);
  const libpq = `host=${url.hostname} port=${url.port || 5432} dbname=${url.pathname.slice(1)} user=${decodeURIComponent(url.username)} password=${decodeURIComponent(url.password)}`;
  return { libpq, extensionDirectory: platform.OPENFOUNDRY_DUCKDB_EXTENSION_DIR };
}

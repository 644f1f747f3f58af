import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type PlatformEnv, repoRoot } from '@openfoundry/infra-local';
import {
  createTestDatabase,
  freePort,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';

const entry = join(repoRoot(), 'services', 'iceberg-catalog-service', 'dist', 'src', 'main.js');
const STOP_TIMEOUT_MS = 15_000;

export interface RunningCatalog {
  url: string;
  database: TestDatabase;
  /** A tenant of this run only, so everything it writes lies under `s3://<warehouse>/<tenant>/`. */
  tenant: string;
  token: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * The built catalog as the platform supervisor runs it (its dist entry, the platform's S3 settings,
 * LOG_LEVEL info), on a free port with a throwaway database it migrates itself.
 */
export async function startCatalog(env: PlatformEnv, logLevel: string): Promise<RunningCatalog> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run turbo run build first`);
  process.env.OPENFOUNDRY_PG_ADMIN_URL ??= env.OPENFOUNDRY_PG_ADMIN_URL;
  const database = await createTestDatabase('of_bench_catalog');
  const tenant = `bench-${randomBytes(4).toString('hex')}`;
  const token = `bench-token-${randomBytes(8).toString('hex')}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const run = startServiceProcess(entry, {
    NODE_ENV: 'development',
    LOG_LEVEL: logLevel,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: database.url,
    CATALOG_TOKENS: `${token}=${tenant}`,
    OPENFOUNDRY_S3_ENDPOINT: env.OPENFOUNDRY_S3_ENDPOINT,
    OPENFOUNDRY_S3_REGION: env.OPENFOUNDRY_S3_REGION,
    OPENFOUNDRY_S3_ACCESS_KEY: env.OPENFOUNDRY_S3_ACCESS_KEY,
    OPENFOUNDRY_S3_SECRET_KEY: env.OPENFOUNDRY_S3_SECRET_KEY,
    OPENFOUNDRY_S3_WAREHOUSE_BUCKET: env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET,
  });
  const stop = async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      const timer = setTimeout(() => run.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await run.exited;
      clearTimeout(timer);
    }
    await database.drop();
  };
  try {
    await waitForReady(url, run, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, database, tenant, token, pid: run.child.pid, stop };
}

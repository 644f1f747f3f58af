import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { pythonVenv, readPlatformEnv, runLoose } from '@openfoundry/infra-local';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import { ObjectStore, RestCatalog, type TableIdentifier } from '../src/index.ts';

export const ACME_TOKEN = 'dev-acme-token';
const require = createRequire(import.meta.url);
const catalogPackage = dirname(require.resolve('@openfoundry/iceberg-catalog-service/package.json'));

/** The platform's S3 server as the catalog and the tests reach it (`npm run infra -- up`). */
export function s3Env(): Record<string, string> {
  const env = readPlatformEnv();
  return {
    OPENFOUNDRY_S3_ENDPOINT: env.OPENFOUNDRY_S3_ENDPOINT,
    OPENFOUNDRY_S3_REGION: env.OPENFOUNDRY_S3_REGION,
    OPENFOUNDRY_S3_ACCESS_KEY: env.OPENFOUNDRY_S3_ACCESS_KEY,
    OPENFOUNDRY_S3_SECRET_KEY: env.OPENFOUNDRY_S3_SECRET_KEY,
    OPENFOUNDRY_S3_WAREHOUSE_BUCKET: env.OPENFOUNDRY_S3_WAREHOUSE_BUCKET,
  };
}

export function testStore(): ObjectStore {
  const env = s3Env();
  return ObjectStore.fromSettings({
    endpoint: env.OPENFOUNDRY_S3_ENDPOINT as string,
    region: env.OPENFOUNDRY_S3_REGION,
    accessKeyId: env.OPENFOUNDRY_S3_ACCESS_KEY as string,
    secretAccessKey: env.OPENFOUNDRY_S3_SECRET_KEY as string,
  });
}

export interface RunningCatalog {
  url: string;
  catalog: RestCatalog;
  /** A namespace of its own under the acme tenant, removed with its files on close. */
  namespace: string[];
  table(name: string): TableIdentifier;
  close(): Promise<void>;
}

/** The built iceberg-catalog-service as a process, on a throwaway database and the platform's S3 server. */
export async function startCatalog(): Promise<RunningCatalog> {
  const database: TestDatabase = await createTestDatabase('of_lakehouse');
  let run: ServiceProcess | undefined;
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    run = startServiceProcess(join(catalogPackage, 'dist/src/main.js'), {
      DATABASE_URL: database.url,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      CATALOG_TOKENS: `${ACME_TOKEN}=acme`,
      ...s3Env(),
    });
    await waitForReady(url, run);
    const catalog = new RestCatalog({ uri: url, token: ACME_TOKEN, warehouse: 'warehouse' });
    const namespace = ['acme', `lakehouse_${Date.now().toString(36)}_${randomUUID().slice(0, 6)}`];
    await catalog.ensureNamespace(namespace);
    const child = run.child;
    return {
      url,
      catalog,
      namespace,
      table: (name) => ({ namespace, name }),
      close: async () => {
        const store = testStore();
        try {
          const bucket = s3Env().OPENFOUNDRY_S3_WAREHOUSE_BUCKET;
          const paths: string[] = [];
          for await (const object of store.list(`s3://${bucket}/${namespace.join('/')}`))
            paths.push(object.path);
          await store.delete(paths);
        } finally {
          store.destroy();
          child.kill('SIGTERM');
          await run?.exited;
          await database.drop();
        }
      },
    };
  } catch (error) {
    run?.child.kill('SIGTERM');
    await database.drop();
    throw error;
  }
}

/** DuckDB with the platform's extensions (no downloads), attached to the catalog as `lake`. */
export async function duckdbReader(url: string): Promise<{ connection: DuckDBConnection; close(): void }> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    extension_directory: readPlatformEnv().OPENFOUNDRY_DUCKDB_EXTENSION_DIR,
  });
  const connection = await instance.connect();
  for (const extension of ['httpfs', 'avro', 'iceberg']) await connection.run(`LOAD ${extension}`);
  await connection.run(`SET TimeZone = 'UTC'`);
  await connection.run(`CREATE SECRET catalog_token (TYPE iceberg, TOKEN '${ACME_TOKEN}')`);
  await connection.run(`ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT '${url}', SECRET catalog_token)`);
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

const pythonDir = join(dirname(fileURLToPath(import.meta.url)), 'python');

/** Runs test/python/<script> under the catalog suite's pinned PyIceberg and parses the JSON it prints. */
export async function pyiceberg<T>(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<T> {
  const python = await pythonVenv(
    join(catalogPackage, 'test/python/requirements.txt'),
    'iceberg-catalog-clients',
  );
  const output = await runLoose(python, [join(pythonDir, script), ...args], {
    env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1' },
    timeoutMs: 5 * 60_000,
  });
  if (output.code !== 0) throw new Error(`${script} exited ${output.code}:\n${output.stderr.slice(-4000)}`);
  return JSON.parse(output.stdout) as T;
}

/** What test/python/read_table.py prints. */
export interface PyIcebergRead {
  rows: { id: number; site: string | null; reading: number | null; observed_at: string }[];
  summary: Record<string, string>;
  snapshots: number;
  files: string[];
}

/** The table as PyIceberg reads it, rows ordered by id. */
export function readWithPyIceberg(lake: RunningCatalog, name: string): Promise<PyIcebergRead> {
  return pyiceberg<PyIcebergRead>('read_table.py', [lake.namespace.join('.'), name, 'id'], {
    CATALOG_URI: lake.url,
    CATALOG_TOKEN: ACME_TOKEN,
  });
}

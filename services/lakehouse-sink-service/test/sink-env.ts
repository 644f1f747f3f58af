import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { type AssetEvent, assetKey, platformRegistry, topics } from '@openfoundry/bus-registry';
import { CredentialStore, credentialEnv, provision } from '@openfoundry/bus-registry/provision';
import { DataBus, type PublishResult } from '@openfoundry/event-bus-data';
import { localDataBus } from '@openfoundry/event-bus-data/testing';
import { readPlatformEnv } from '@openfoundry/infra-local';
import { RestCatalog } from '@openfoundry/lakehouse';
import { deleteCatalogTableFiles } from '@openfoundry/lakehouse/testing';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';

/** The catalog token the sink uses in tests: mapped to every tenant. */
export const PLATFORM_TOKEN = 'sink-test-platform-token';
const catalogEntry = fileURLToPath(
  new URL('../../iceberg-catalog-service/dist/src/main.js', import.meta.url),
);

/** The platform's S3 server as the catalog reaches it (`npm run infra -- up`). */
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

export function s3Settings() {
  const env = s3Env();
  return {
    endpoint: env.OPENFOUNDRY_S3_ENDPOINT as string,
    region: env.OPENFOUNDRY_S3_REGION,
    accessKeyId: env.OPENFOUNDRY_S3_ACCESS_KEY as string,
    secretAccessKey: env.OPENFOUNDRY_S3_SECRET_KEY as string,
  };
}

export interface RunningCatalog {
  url: string;
  catalog: RestCatalog;
  /** Removes the files of every table in this catalog, stops it and drops its database. */
  close(): Promise<void>;
}

/** The built iceberg-catalog-service as a process on a throwaway database, with an every-tenant token. */
export async function startCatalog(): Promise<RunningCatalog> {
  const database: TestDatabase = await createTestDatabase('of_sink_catalog');
  let run: ServiceProcess | undefined;
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    run = startServiceProcess(catalogEntry, {
      DATABASE_URL: database.url,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      CATALOG_TOKENS: `${PLATFORM_TOKEN}=*`,
      ...s3Env(),
    });
    await waitForReady(url, run);
    const started = run;
    const catalog = new RestCatalog({ uri: url, token: PLATFORM_TOKEN, warehouse: 'warehouse' });
    return {
      url,
      catalog,
      close: async () => {
        try {
          await deleteCatalogTableFiles({
            url,
            token: PLATFORM_TOKEN,
            s3: s3Settings(),
          });
        } finally {
          started.child.kill('SIGTERM');
          await started.exited;
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

/** A tenant id no other test (or person on this machine) uses. */
export function uniqueTenant(label: string): string {
  return `sink-${label}-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
}

/** DuckDB with the platform's extensions, attached to the catalog as `lake` with the every-tenant token. */
export async function duckdbReader(url: string) {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    extension_directory: readPlatformEnv().OPENFOUNDRY_DUCKDB_EXTENSION_DIR,
  });
  const connection = await instance.connect();
  for (const extension of ['httpfs', 'avro', 'iceberg']) await connection.run(`LOAD ${extension}`);
  await connection.run(`SET TimeZone = 'UTC'`);
  await connection.run(`CREATE SECRET catalog_token (TYPE iceberg, TOKEN '${PLATFORM_TOKEN}')`);
  await connection.run(`ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT '${url}', SECRET catalog_token)`);
  return {
    /** Rows as JSON-safe objects (bigints as text). */
    sql: async (query: string) => (await connection.runAndReadAll(query)).getRowObjectsJson(),
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

let provisioned: Promise<unknown> | undefined;

/** Bus settings for a service identity on the local platform (the registry provisioned first). */
export async function busEnv(service: string): Promise<Record<string, string>> {
  provisioned ??= provision(platformRegistry);
  await provisioned;
  const env = readPlatformEnv();
  return {
    OPENFOUNDRY_KAFKA_BROKERS: env.OPENFOUNDRY_KAFKA_BROKERS,
    ...credentialEnv(new CredentialStore().get(service)),
  };
}

/** Writes asset events to the asset stream as connector-service, the topic's owner; answers where each landed. */
export async function connectorPublisher(): Promise<{
  publish(events: readonly AssetEvent[]): Promise<PublishResult[]>;
  close(): Promise<void>;
}> {
  const bus = await localDataBus('connector-service');
  const publisher = bus.publisher(topics.assetEvents, { job: 'lakehouse-sink-service.test' });
  return {
    publish: (events) =>
      publisher.publishMany(events.map((value) => ({ key: assetKey(value.tenant, value.assetId), value }))),
    close: () => bus.close(),
  };
}

/** The data bus as lakehouse-sink-service (its principal and registry entry). */
export async function sinkBus(): Promise<DataBus> {
  return localDataBus('lakehouse-sink-service');
}

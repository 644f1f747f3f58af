import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { pythonVenv, readPlatformEnv } from '@openfoundry/infra-local';
import { createTestApp, createTestDatabase, type TestDatabase } from '@openfoundry/service-kit/testing';
import { icebergCatalogService } from '../src/service.ts';

export type CatalogTestApp = Awaited<
  ReturnType<typeof createTestApp<typeof icebergCatalogService.configSchema>>
>;

export const ACME_TOKEN = 'dev-acme-token';
export const GLOBEX_TOKEN = 'dev-globex-token';
/** A platform writer's token: it acts for every tenant. */
export const PLATFORM_TOKEN = 'dev-platform-token';
export const TOKENS = `${ACME_TOKEN}=acme,${GLOBEX_TOKEN}=globex,${PLATFORM_TOKEN}=*`;

/** The S3 settings of the local platform (`npm run infra -- up`). */
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

/** A client of the platform's S3 server, as the catalog's own configuration reaches it. */
export function s3Client(): S3Client {
  const env = s3Env();
  return new S3Client({
    endpoint: env.OPENFOUNDRY_S3_ENDPOINT,
    region: env.OPENFOUNDRY_S3_REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.OPENFOUNDRY_S3_ACCESS_KEY ?? '',
      secretAccessKey: env.OPENFOUNDRY_S3_SECRET_KEY ?? '',
    },
  });
}

/** Deletes what a test wrote under `<tenant>/<namespace>/` in the shared warehouse bucket. */
export async function deleteFromWarehouse(prefixes: readonly string[]): Promise<void> {
  const s3 = s3Client();
  const bucket = s3Env().OPENFOUNDRY_S3_WAREHOUSE_BUCKET;
  try {
    for (const prefix of prefixes) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
        );
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length)
          await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
  } finally {
    s3.destroy();
  }
}

export interface RunningCatalog {
  app: CatalogTestApp;
  /** http://127.0.0.1:<port>, a real socket for clients outside this process. */
  url: string;
  close(): Promise<void>;
}

/** The catalog as it runs in production, on a throwaway database and the platform's S3 server. */
export async function startCatalog(options: { listen?: boolean } = {}): Promise<RunningCatalog> {
  const database: TestDatabase = await createTestDatabase('of_iceberg');
  let app: CatalogTestApp | undefined;
  try {
    app = await createTestApp(icebergCatalogService, {
      env: { DATABASE_URL: database.url, CATALOG_TOKENS: TOKENS, ...s3Env() },
    });
    let url = '';
    if (options.listen) {
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.app.getHttpServer().address();
      if (!address || typeof address === 'string') throw new Error('catalog is not listening on a TCP port');
      url = `http://127.0.0.1:${address.port}`;
    }
    const started = app;
    return {
      app: started,
      url,
      close: async () => {
        await started.close();
        await database.drop();
      },
    };
  } catch (error) {
    await app?.close();
    await database.drop();
    throw error;
  }
}

const pythonProject = join(dirname(fileURLToPath(import.meta.url)), 'python');

export interface PytestResult {
  check: string;
  ok: boolean;
  error?: string;
}

export interface PytestRun {
  results: Map<string, PytestResult>;
  output: string;
}

/** Runs the named tests of test/python under the pinned PyIceberg (a cached venv from PyPI). */
export async function runPytest(tests: readonly string[], env: Record<string, string>): Promise<PytestRun> {
  const python = await pythonVenv(join(pythonProject, 'requirements.txt'), 'iceberg-catalog-clients');
  const report = join(tmpdir(), `iceberg-catalog-pytest-${process.pid}-${Date.now()}.jsonl`);
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        python,
        ['-m', 'pytest', '-q', '-s', '-p', 'no:cacheprovider', '--tb=short', ...tests],
        {
          cwd: pythonProject,
          env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1', CATALOG_REPORT: report },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk;
      });
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk;
      });
      child.once('error', reject);
      child.once('close', (code) => resolve(`exit ${code}\n${text.slice(-6000)}`));
    });
    const results = new Map<string, PytestResult>();
    const lines = existsSync(report) ? readFileSync(report, 'utf8').split('\n') : [];
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const result = JSON.parse(line) as PytestResult;
      results.set(result.check, result);
    }
    return { results, output };
  } finally {
    rmSync(report, { force: true });
  }
}

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  freePort,
  startServiceProcess,
  type TestDatabase,
  waitForReady,
} from '@openfoundry/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_TOKEN, s3Env, TOKENS } from './catalog-app.ts';

// The built service as an operator runs it: a real process, real signals, real exit codes.
const entry = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));

describe('the iceberg-catalog-service process', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    expect(existsSync(entry), `${entry} is missing: build the service first`).toBe(true);
    database = await createTestDatabase('of_iceberg_proc');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('serves the catalog config, then exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = startServiceProcess(entry, {
      DATABASE_URL: database.url,
      PORT: String(port),
      CATALOG_TOKENS: TOKENS,
      ...s3Env(),
    });
    await waitForReady(url, run);
    const config = await fetch(`${url}/v1/config?warehouse=warehouse`, {
      headers: { authorization: `Bearer ${ACME_TOKEN}` },
    });
    expect(config.status).toBe(200);
    expect(((await config.json()) as { overrides: Record<string, string> }).overrides.prefix).toBe(
      'warehouse',
    );
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('shutdown complete');
    // The S3 secret is configuration, never a log line.
    expect(run.output()).not.toContain(s3Env().OPENFOUNDRY_S3_SECRET_KEY);
  });

  it.each([
    ['OPENFOUNDRY_S3_ENDPOINT', { OPENFOUNDRY_S3_ENDPOINT: 'not a url' }],
    ['CATALOG_TOKENS', { CATALOG_TOKENS: 'token-without-tenant' }],
    ['OPENFOUNDRY_S3_SECRET_KEY', { OPENFOUNDRY_S3_SECRET_KEY: '' }],
  ])('refuses to start on a bad %s, naming it, without a stack trace', async (variable, bad) => {
    const run = startServiceProcess(entry, { DATABASE_URL: database.url, ...s3Env(), ...bad });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(variable);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });
});

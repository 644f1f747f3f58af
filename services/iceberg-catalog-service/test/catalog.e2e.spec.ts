import { beforeAll, describe, expect, it } from 'vitest';
import { ACME_TOKEN, GLOBEX_TOKEN, type PytestRun, runPytest } from './catalog-app.ts';

/** PyIceberg against the catalog as `npm start` runs it (the platform's process, port 8181). */
const url = process.env.OPENFOUNDRY_E2E_ICEBERG_CATALOG_SERVICE_URL ?? 'http://127.0.0.1:8181';
const tests: Record<string, string> = {
  test_create_append_overwrite: 'creates a table, appends and overwrites through the running platform',
  test_tenant_isolation: 'keeps tenants apart with the dev tokens the platform starts with',
};

describe('PyIceberg against the running platform', () => {
  let run: PytestRun;

  beforeAll(async () => {
    run = await runPytest(
      Object.keys(tests).map((test) => `test_pyiceberg.py::${test}`),
      { CATALOG_URI: url, CATALOG_TOKEN: ACME_TOKEN, CATALOG_OTHER_TOKEN: GLOBEX_TOKEN },
    );
  }, 20 * 60_000);

  it.each(Object.entries(tests))('%s: %s', (test) => {
    const result = run.results.get(test);
    expect(result, `${test} was not reported by pytest (${run.output})`).toBeDefined();
    expect(result?.ok, `${test}: ${result?.error}`).toBe(true);
  });
});

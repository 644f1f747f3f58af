import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACME_TOKEN,
  GLOBEX_TOKEN,
  type PytestRun,
  type RunningCatalog,
  runPytest,
  startCatalog,
} from './catalog-app.ts';

/** PyIceberg from PyPI against the catalog over a real socket, writing to the platform's S3 server. */
const tests: Record<string, string> = {
  test_namespaces:
    'creates, lists (by parent), loads, updates and drops namespaces; refuses to drop a non-empty one',
  test_create_append_overwrite: 'creates a table, appends twice and overwrites, reading back every state',
  test_schema_evolution: 'adds, renames and drops a column and reads data written under each schema',
  test_partition_evolution_and_filtered_scan:
    'evolves the partition spec (identity, then day) and scans with filters across both specs',
  test_delete_rows: 'deletes rows by a filter',
  test_time_travel: 'reads an older snapshot by id',
  test_branches_and_tags: 'creates a tag and a branch, appends to the branch only, reads each',
  test_concurrent_appenders_each_land_exactly_once:
    '8 concurrent appenders, retrying after 409, land every row once and one snapshot each',
  test_tenant_isolation: "another tenant cannot see, load, drop or create under a tenant's namespaces",
  test_rename_drop_and_register: 'renames, drops, registers the dropped metadata again and purges',
  test_staged_create_with_data: 'creates a table and its first data in one transaction (stage-create)',
  test_unknown_names: 'gets NoSuchTable and NoSuchNamespace for names that do not exist',
  test_views: 'creates, lists, loads, checks and drops a view; another tenant cannot load it',
  'test_readme.py::test_readme_pyiceberg_snippet_runs': "the README's PyIceberg snippet runs as written",
};

describe('PyIceberg against the catalog', () => {
  let catalog: RunningCatalog;
  let run: PytestRun;

  beforeAll(async () => {
    catalog = await startCatalog({ listen: true });
    run = await runPytest(
      Object.keys(tests).map((test) => (test.includes('::') ? test : `test_pyiceberg.py::${test}`)),
      { CATALOG_URI: catalog.url, CATALOG_TOKEN: ACME_TOKEN, CATALOG_OTHER_TOKEN: GLOBEX_TOKEN },
    );
  }, 20 * 60_000);

  afterAll(async () => {
    await catalog?.close();
  });

  it.each(Object.entries(tests))('%s: %s', (test) => {
    const result = run.results.get(test.split('::').at(-1) ?? test);
    expect(result, `${test} was not reported by pytest (${run.output})`).toBeDefined();
    expect(result?.ok, `${test}: ${result?.error}`).toBe(true);
  });
});

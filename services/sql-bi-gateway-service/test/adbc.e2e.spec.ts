import { beforeAll, describe, expect, it } from 'vitest';
import { type ConformanceRun, runPythonConformance } from './conformance/toolchain.ts';

/**
 * The ADBC Flight SQL driver and raw pyarrow.flight (PyPI) against the running gateway: the
 * pytest files in conformance/python in one pytest run, one assertion per test.
 */
const tests: Record<string, string> = {
  'test_adbc.py::test_get_info': 'ADBC reads the server info (vendor name and version)',
  'test_adbc.py::test_get_objects_depth_all': 'ADBC get_objects(depth="all") finds a table and its columns',
  'test_adbc.py::test_get_objects_filters': 'ADBC get_objects filters tables by an _ pattern',
  'test_adbc.py::test_get_table_schema': "ADBC reads a table's Arrow schema",
  'test_adbc.py::test_get_table_types': 'ADBC lists table types',
  'test_adbc.py::test_query': 'ADBC runs a query',
  'test_adbc.py::test_bound_parameters': 'ADBC binds and rebinds query parameters',
  'test_adbc.py::test_parameter_batch_larger_than_4_mib': 'ADBC binds a parameter batch larger than 4 MiB',
  'test_adbc.py::test_restricted_user_sees_only_granted_catalogs':
    'ADBC shows a restricted user only the catalogs granted to them',
  'test_adbc.py::test_restricted_user_cannot_query_an_ungranted_catalog':
    'ADBC gets UNAUTHORIZED when a restricted user queries an ungranted catalog',
  'test_adbc.py::test_parameter_in_the_select_list':
    "ADBC gets the bound value's type back when a parameter sits in the select list",
  'test_adbc.py::test_write_to_a_read_only_catalog_is_permission_denied':
    'ADBC gets UNAUTHORIZED (PERMISSION_DENIED) writing to the read-only postgres catalog',
  'test_adbc.py::test_execute_update_dml': 'ADBC execute_update runs DDL and DML with row counts',
  'test_adbc.py::test_execute_runs_ddl_and_ctas_once_without_a_fetch':
    'ADBC execute runs CREATE TABLE AS and INSERT once, without fetching their results',
  'test_adbc.py::test_executemany_bound_inserts': 'ADBC executemany inserts bound rows',
  'test_adbc.py::test_bulk_fetch_arrow_table': 'ADBC fetches two million rows into one Arrow table',
  'test_adbc.py::test_types': 'ADBC reads every type as the Arrow type it should be, values intact',
  'test_adbc.py::test_sum_of_integers_is_numeric': 'ADBC reads SUM of integers (HUGEINT) as a number',
  'test_adbc.py::test_interval': 'ADBC reads INTERVAL as month_day_nano',
  'test_adbc.py::test_wrong_password_is_an_authentication_error':
    'ADBC reports a wrong password as UNAUTHENTICATED',
  'test_adbc.py::test_bad_sql_carries_the_engine_message':
    "ADBC reports bad SQL as INVALID_ARGUMENT with the engine's message",
  'test_adbc.py::test_unknown_table_is_not_found': 'ADBC reports an unknown table as NOT_FOUND',
  'test_flight.py::test_basic_auth_handshake_returns_bearer_token':
    'pyarrow.flight trades basic credentials for a bearer token',
  'test_flight.py::test_handshake_with_a_bearer_token_succeeds':
    'pyarrow.flight handshakes again with the bearer token alone',
  'test_flight.py::test_handshake_with_a_forged_bearer_token_is_unauthenticated':
    'pyarrow.flight gets FlightUnauthenticatedError handshaking with a forged bearer token',
  'test_flight.py::test_statement_query_get_flight_info_and_do_get':
    'pyarrow.flight runs CommandStatementQuery through GetFlightInfo and DoGet',
  'test_flight.py::test_ticket_is_readable_twice': 'pyarrow.flight reads the same ticket twice',
  'test_flight.py::test_get_catalogs_schema':
    'pyarrow.flight gets CommandGetCatalogs with the schema the specification defines',
  'test_flight.py::test_create_prepared_statement_describes_without_running':
    'pyarrow.flight CreatePreparedStatement returns the result schema without running the query; closing twice is harmless',
  'test_flight.py::test_get_sql_info_answers_exactly_the_requested_ids':
    'pyarrow.flight CommandGetSqlInfo answers exactly the requested ids',
  'test_flight.py::test_get_xdbc_type_info':
    'pyarrow.flight gets CommandGetXdbcTypeInfo with the specified schema, filtered by data type',
  'test_flight.py::test_wrong_password_is_unauthenticated':
    'pyarrow.flight gets FlightUnauthenticatedError for a wrong password',
  'test_flight.py::test_calls_without_a_token_are_unauthenticated':
    'pyarrow.flight gets FlightUnauthenticatedError without a token',
  'test_flight.py::test_bad_sql_is_invalid_argument_with_the_engine_message':
    "pyarrow.flight gets ArrowInvalid with the engine's message for bad SQL",
  'test_flight.py::test_unknown_command_is_unimplemented':
    'pyarrow.flight gets ArrowNotImplementedError for an unknown command',
  'test_connect_doc.py::test_connect_doc_has_python_snippets':
    "the README's connect section has its Python snippets",
  'test_connect_doc.py::test_connect_doc_python_snippet_runs[0]': "the README's ADBC snippet runs as written",
  'test_connect_doc.py::test_connect_doc_python_snippet_runs[1]':
    "the README's pyarrow.flight snippet runs as written",
};

describe('ADBC and pyarrow.flight', () => {
  let run: ConformanceRun;

  beforeAll(async () => {
    run = await runPythonConformance(Object.keys(tests));
  }, 20 * 60_000);

  it.each(Object.entries(tests))('%s %s', (test) => {
    const result = run.results.get(test);
    expect(result, `${test} was not reported by pytest (${run.output})`).toBeDefined();
    expect(result?.ok, `${test}: ${result?.error}`).toBe(true);
  });
});

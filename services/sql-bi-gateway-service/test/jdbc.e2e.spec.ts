import { beforeAll, describe, expect, it } from 'vitest';
import { type ConformanceRun, JDBC_DRIVER_VERSIONS, runJdbcConformance } from './conformance/toolchain.ts';

/**
 * The Arrow Flight SQL JDBC driver (Maven Central) against the running gateway, driven by
 * conformance/jdbc/…/JdbcConformance.java. Per driver version one JVM whose default zone is
 * America/New_York runs `checks`, and one in UTC runs `utcChecks`; each test asserts one check's
 * outcome.
 */
const checks: Record<string, string> = {
  'connect.user_password': 'connects with user and password over plaintext',
  'connect.documented_url': 'connects with the driver class and URL that the README documents',
  'connect.parallel': 'opens eight connections in parallel, each with its own handshake',
  'connect.catalog_property': 'sets the session catalog from the catalog URL property',
  'auth.wrong_password': 'refuses a wrong password with an authentication error',
  'metadata.product': 'names the database product and its version',
  'metadata.capabilities': 'answers every capability question Tableau asks (supportsANSI92EntryLevelSQL, …)',
  'metadata.identifierQuoteString': 'quotes identifiers with a double quote',
  'metadata.getCatalogs': 'lists the catalog the session writes to',
  'metadata.getSchemas': 'lists schemas, filtered by catalog and schema pattern',
  'metadata.getTableTypes': 'lists table types',
  'metadata.getTables': 'finds a table by name, by % and _ patterns and by table type',
  'metadata.getTables_lakehouse':
    'lists an Iceberg table of the lakehouse catalog, its namespace as the schema, with its columns',
  'metadata.getColumns': "describes a table's columns with their JDBC types and positions",
  'metadata.getColumns_nullability': 'reports NOT NULL columns as not nullable',
  'metadata.getPrimaryKeys': 'reports a primary key',
  'metadata.getImportedExportedKeys': 'reports no foreign keys for a table without any',
  'metadata.getTypeInfo': 'answers getTypeInfo with the JDBC columns (the driver does not ask the server)',
  'statement.query': 'runs a query through Statement',
  'statement.tableau_empty_probe':
    'describes a custom SQL wrapped in WHERE (1 = 0) through PreparedStatement metadata, as Tableau does',
  'statement.cancel': 'cancels a long query from another thread and keeps the connection usable',
  'statement.maxRows': 'honours setMaxRows',
  'statement.executeUpdate': 'runs CREATE, INSERT, UPDATE, DELETE and DROP with row counts',
  'prepared.query_with_parameters': 'binds and rebinds PreparedStatement parameters of a query',
  'prepared.update_with_parameters': 'runs a parameterised INSERT as an update',
  'transactions.truthful': 'advertises transactions only if a rollback undoes an insert',
  'types.integers': 'reads TINYINT, SMALLINT, INTEGER and BIGINT at their limits',
  'types.floats': 'reads REAL, DOUBLE and NaN',
  'types.decimal': 'reads DECIMAL up to 38 digits exactly',
  'types.decimal_precision_scale': 'gives DECIMAL precision and scale in ResultSetMetaData',
  'types.varchar': 'reads Unicode VARCHAR',
  'types.blob': 'reads BLOB bytes',
  'types.boolean': 'reads BOOLEAN',
  'types.date': 'reads DATE, before and after 1970',
  'types.time': 'reads TIME in a New York JVM',
  'types.timestamp': 'keeps the wall clock of a TIMESTAMP in a New York JVM',
  'types.timestamptz': 'keeps the instant of a TIMESTAMP WITH TIME ZONE in a New York JVM',
  'types.interval': 'reads INTERVAL',
  'types.uuid': 'reads UUID as its text',
  'types.list': 'reads a LIST as a java.sql.Array',
  'types.struct': 'reads a STRUCT as a map of its fields',
  'types.nulls': 'reads NULL of every type as null, with wasNull',
  'large.range_2m_summed': 'streams two million rows and sums them client-side',
  'errors.bad_sql': "reports bad SQL with the engine's message",
  'errors.unknown_table': 'reports an unknown table by its name',
  'errors.connection_survives': 'keeps the connection usable after an error',
};

// The driver's classic getters are right only in a UTC JVM, which the README tells users to run.
const utcChecks: Record<string, string> = {
  'types.datetime_getters':
    'reads TIME, TIMESTAMP, TIMESTAMPTZ and DATE through getTime/getTimestamp/getDate',
};

function assertChecks(zone: string, version: string, wanted: Record<string, string>) {
  describe(`in a ${zone} JVM`, () => {
    let run: ConformanceRun;

    beforeAll(async () => {
      run = await runJdbcConformance(version, Object.keys(wanted), zone);
    }, 20 * 60_000);

    it.each(Object.entries(wanted))('%s %s', (check) => {
      const result = run.results.get(check);
      expect(result, `${check} was not reported by the Java program (${run.output})`).toBeDefined();
      expect(result?.ok, `${check}: ${result?.error}`).toBe(true);
    });
  });
}

describe.each(JDBC_DRIVER_VERSIONS)('flight-sql-jdbc-driver %s', (version) => {
  assertChecks('America/New_York', version, checks);
  assertChecks('UTC', version, utcChecks);
});

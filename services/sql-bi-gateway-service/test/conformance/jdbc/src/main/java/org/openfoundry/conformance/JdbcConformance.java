package org.openfoundry.conformance;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

/**
 * Drives the Arrow Flight SQL JDBC driver against a Flight SQL server the way BI tools do and
 * prints one JSON line per check: {"check": name, "ok": true|false, "detail"|"error": text}.
 * It only speaks java.sql, so it compiles without the driver and runs against any driver version.
 *
 * Arguments: --host H --port P --user U --password W [--checks a,b,c] [--list]
 */
public final class JdbcConformance {
  @FunctionalInterface
  interface Check {
    String run() throws Exception;
  }

  static final class CheckFailed extends Exception {
    CheckFailed(String message) {
      super(message);
    }
  }

  private final String host;
  private final int port;
  private final String user;
  private final String password;
  private final String documentedUrl;
  private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  private final String table = "jdbc_conf_" + suffix;
  private final Map<String, Check> checks = new LinkedHashMap<>();
  private Connection connection;
  private String[] home; // catalog and schema where unqualified tables land
  private Exception fixtureFailure;

  JdbcConformance(String host, int port, String user, String password, String documentedUrl) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.documentedUrl = documentedUrl;
    register();
  }

  int driverMajor() throws SQLException {
    return connection().getMetaData().getDriverMajorVersion();
  }

  String url(String pass) {
    return "jdbc:arrow-flight-sql://" + host + ":" + port + "/?useEncryption=false&user=" + user + "&password=" + pass;
  }

  Connection connection() throws SQLException {
    if (connection == null) connection = DriverManager.getConnection(url(password));
    return connection;
  }

  /** The catalog and schema an unqualified CREATE TABLE lands in, and the fixture table created there. */
  String[] fixture() throws Exception {
    if (home != null) return home;
    if (fixtureFailure != null) throw new CheckFailed("the fixture table could not be made: " + fullMessage(fixtureFailure));
    try (Statement st = connection().createStatement()) {
      st.executeUpdate(
          "CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, amount DECIMAL(12,2), created_at TIMESTAMP)");
      st.executeUpdate(
          "INSERT INTO " + table + " VALUES (1, 'one', 1.50, TIMESTAMP '2024-01-01 00:00:00'), (2, 'two', 2.25, NULL)");
      try (ResultSet rs = st.executeQuery("SELECT current_database(), current_schema()")) {
        rs.next();
        home = new String[] {rs.getString(1), rs.getString(2)};
      }
    } catch (Exception e) {
      fixtureFailure = e;
      throw e;
    }
    return home;
  }

  static void expect(boolean condition, String message) throws CheckFailed {
    if (!condition) throw new CheckFailed(message);
  }

  static void expectEquals(Object expected, Object actual, String what) throws CheckFailed {
    if (expected == null ? actual != null : !expected.equals(actual)) {
      throw new CheckFailed(what + ": expected <" + expected + "> but got <" + actual + ">");
    }
  }

  /** Runs a one-row query and hands back its single row's first column set. */
  ResultSet one(Statement st, String sql) throws SQLException, CheckFailed {
    ResultSet rs = st.executeQuery(sql);
    expect(rs.next(), "no row from: " + sql);
    return rs;
  }

  static List<Map<String, Object>> rows(ResultSet rs) throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    ResultSetMetaData md = rs.getMetaData();
    while (rs.next()) {
      Map<String, Object> row = new LinkedHashMap<>();
      for (int i = 1; i <= md.getColumnCount(); i++) row.put(md.getColumnLabel(i).toUpperCase(Locale.ROOT), rs.getObject(i));
      out.add(row);
    }
    rs.close();
    return out;
  }

  static Set<String> column(List<Map<String, Object>> rows, String name) {
    Set<String> out = new HashSet<>();
    for (Map<String, Object> row : rows) out.add(String.valueOf(row.get(name)));
    return out;
  }

  SQLException expectSqlError(String sql) throws Exception {
    try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        // drain: some servers fail only when the stream is read
      }
    } catch (SQLException e) {
      return e;
    }
    throw new CheckFailed("no error for: " + sql);
  }

  static String fullMessage(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) sb.append(c.getMessage()).append(" | ");
    return sb.toString();
  }

  private void register() {
    checks.put("connect.user_password", () -> {
      DatabaseMetaData md = connection().getMetaData();
      expect(!connection().isClosed(), "connection closed right after connecting");
      return md.getDriverName() + " " + md.getDriverVersion();
    });

    // The URL and driver class that the README (the README section for BI users) tells people to use.
    checks.put("connect.documented_url", () -> {
      expect(documentedUrl != null && !documentedUrl.isEmpty(), "no --documented-url given");
      Class.forName("org.apache.arrow.driver.jdbc.ArrowFlightJdbcDriver");
      try (Connection c = DriverManager.getConnection(documentedUrl);
          Statement st = c.createStatement();
          ResultSet rs = one(st, "SELECT 42")) {
        expectEquals(42, rs.getInt(1), "SELECT 42");
      }
      return documentedUrl.replaceAll("password=[^&]*", "password=***");
    });

    checks.put("auth.wrong_password", () -> {
      try (Connection c = DriverManager.getConnection(url(password + "-wrong"));
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT 1")) {
        throw new CheckFailed("connected and queried with a wrong password");
      } catch (SQLException e) {
        String text = fullMessage(e).toLowerCase(Locale.ROOT);
        expect(text.contains("unauthenticated") || text.contains("auth"), "not an authentication error: " + fullMessage(e));
        return e.getClass().getSimpleName() + ": " + e.getMessage();
      }
    });

    checks.put("connect.parallel", () -> {
      List<Thread> threads = new ArrayList<>();
      List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int i = 0; i < 8; i++) {
        final int n = i;
        Thread t = new Thread(() -> {
          try (Connection c = DriverManager.getConnection(url(password));
              Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT " + n + " * 10")) {
            if (!rs.next() || rs.getInt(1) != n * 10) failures.add("connection " + n + " read a wrong row");
          } catch (Exception e) {
            failures.add("connection " + n + ": " + fullMessage(e));
          }
        });
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) t.join();
      expect(failures.isEmpty(), failures.toString());
      return "8 parallel connections";
    });

    // The driver turns a `catalog` URL property into a SetSessionOptions call; pick a catalog that is
    // not the default one so the check can tell.
    checks.put("connect.catalog_property", () -> {
      String[] at = fixture();
      String other = at[0];
      for (String c : column(rows(connection().getMetaData().getCatalogs()), "TABLE_CAT")) if (!c.equals(at[0])) other = c;
      Connection c = DriverManager.getConnection(url(password) + "&catalog=" + other);
      try (Statement st = c.createStatement(); ResultSet rs = one(st, "SELECT current_database()")) {
        expectEquals(other, rs.getString(1), "current catalog");
      }
      try {
        c.close();
      } catch (SQLException e) {
        // 17.x and 18.x fail their own close after CloseSession ("Channel shutdown invoked").
        return other + " (close: " + e.getMessage() + ")";
      }
      return other;
    });

    checks.put("metadata.product", () -> {
      DatabaseMetaData md = connection().getMetaData();
      expect(md.getDatabaseProductName() != null && !md.getDatabaseProductName().isEmpty(), "empty product name");
      expect(md.getDatabaseProductVersion() != null, "no product version");
      return md.getDatabaseProductName() + " " + md.getDatabaseProductVersion();
    });

    // What Tableau's JDBC connector asks before it shows a single table: each call must answer, not throw.
    checks.put("metadata.capabilities", () -> {
      DatabaseMetaData md = connection().getMetaData();
      Map<String, Object> got = new LinkedHashMap<>();
      got.put("supportsANSI92EntryLevelSQL", md.supportsANSI92EntryLevelSQL());
      got.put("supportsANSI92IntermediateSQL", md.supportsANSI92IntermediateSQL());
      got.put("supportsANSI92FullSQL", md.supportsANSI92FullSQL());
      got.put("supportsCoreSQLGrammar", md.supportsCoreSQLGrammar());
      got.put("supportsMinimumSQLGrammar", md.supportsMinimumSQLGrammar());
      got.put("supportsOuterJoins", md.supportsOuterJoins());
      got.put("supportsFullOuterJoins", md.supportsFullOuterJoins());
      got.put("supportsLimitedOuterJoins", md.supportsLimitedOuterJoins());
      got.put("supportsGroupBy", md.supportsGroupBy());
      got.put("supportsGroupByUnrelated", md.supportsGroupByUnrelated());
      got.put("supportsLikeEscapeClause", md.supportsLikeEscapeClause());
      got.put("supportsMultipleResultSets", md.supportsMultipleResultSets());
      got.put("supportsOrderByUnrelated", md.supportsOrderByUnrelated());
      got.put("supportsSubqueriesInComparisons", md.supportsSubqueriesInComparisons());
      got.put("supportsSubqueriesInExists", md.supportsSubqueriesInExists());
      got.put("supportsSubqueriesInIns", md.supportsSubqueriesInIns());
      got.put("supportsCorrelatedSubqueries", md.supportsCorrelatedSubqueries());
      got.put("supportsUnion", md.supportsUnion());
      got.put("supportsUnionAll", md.supportsUnionAll());
      got.put("supportsColumnAliasing", md.supportsColumnAliasing());
      got.put("supportsConvert", md.supportsConvert());
      got.put("supportsExpressionsInOrderBy", md.supportsExpressionsInOrderBy());
      got.put("supportsTableCorrelationNames", md.supportsTableCorrelationNames());
      got.put("supportsSchemasInDataManipulation", md.supportsSchemasInDataManipulation());
      got.put("supportsCatalogsInDataManipulation", md.supportsCatalogsInDataManipulation());
      got.put("supportsSchemasInTableDefinitions", md.supportsSchemasInTableDefinitions());
      got.put("supportsTransactions", md.supportsTransactions());
      got.put("supportsBatchUpdates", md.supportsBatchUpdates());
      got.put("supportsStoredProcedures", md.supportsStoredProcedures());
      got.put("supportsMixedCaseIdentifiers", md.supportsMixedCaseIdentifiers());
      got.put("supportsMixedCaseQuotedIdentifiers", md.supportsMixedCaseQuotedIdentifiers());
      got.put("storesLowerCaseIdentifiers", md.storesLowerCaseIdentifiers());
      got.put("storesUpperCaseIdentifiers", md.storesUpperCaseIdentifiers());
      got.put("nullsAreSortedHigh", md.nullsAreSortedHigh());
      got.put("isReadOnly", md.isReadOnly());
      got.put("getDefaultTransactionIsolation", md.getDefaultTransactionIsolation());
      got.put("getMaxColumnNameLength", md.getMaxColumnNameLength());
      got.put("getMaxTableNameLength", md.getMaxTableNameLength());
      got.put("getMaxStatementLength", md.getMaxStatementLength());
      got.put("getCatalogTerm", md.getCatalogTerm());
      got.put("getSchemaTerm", md.getSchemaTerm());
      got.put("getProcedureTerm", md.getProcedureTerm());
      got.put("getSearchStringEscape", md.getSearchStringEscape());
      got.put("getExtraNameCharacters", md.getExtraNameCharacters());
      got.put("getSQLKeywords", md.getSQLKeywords());
      got.put("getNumericFunctions", md.getNumericFunctions());
      got.put("getStringFunctions", md.getStringFunctions());
      got.put("getSystemFunctions", md.getSystemFunctions());
      got.put("getTimeDateFunctions", md.getTimeDateFunctions());
      expectEquals(Boolean.TRUE, got.get("supportsANSI92EntryLevelSQL"), "supportsANSI92EntryLevelSQL");
      expectEquals(Boolean.TRUE, got.get("supportsGroupBy"), "supportsGroupBy");
      expectEquals(Boolean.TRUE, got.get("supportsUnionAll"), "supportsUnionAll");
      return got.toString();
    });

    checks.put("metadata.identifierQuoteString", () -> {
      String quote = connection().getMetaData().getIdentifierQuoteString();
      expectEquals("\"", quote, "identifier quote string");
      return quote;
    });

    checks.put("metadata.getCatalogs", () -> {
      String[] at = fixture();
      List<Map<String, Object>> rows = rows(connection().getMetaData().getCatalogs());
      Set<String> names = column(rows, "TABLE_CAT");
      expect(names.contains(at[0]), "catalog " + at[0] + " of the fixture table is not listed: " + names);
      return names.toString();
    });

    checks.put("metadata.getSchemas", () -> {
      String[] at = fixture();
      DatabaseMetaData md = connection().getMetaData();
      List<Map<String, Object>> all = rows(md.getSchemas());
      expect(column(all, "TABLE_SCHEM").contains(at[1]), "schema " + at[1] + " not listed: " + all);
      expect(column(rows(md.getSchemas(at[0], null)), "TABLE_SCHEM").contains(at[1]), "getSchemas(" + at[0] + ", null) misses " + at[1]);
      List<Map<String, Object>> filtered = rows(md.getSchemas(at[0], at[1]));
      expect(!filtered.isEmpty(), "getSchemas(" + at[0] + ", " + at[1] + ") is empty");
      for (Map<String, Object> row : filtered) {
        expectEquals(at[0], String.valueOf(row.get("TABLE_CATALOG")), "TABLE_CATALOG");
        expectEquals(at[1], String.valueOf(row.get("TABLE_SCHEM")), "TABLE_SCHEM");
      }
      return all.toString();
    });

    checks.put("metadata.getTableTypes", () -> {
      Set<String> types = column(rows(connection().getMetaData().getTableTypes()), "TABLE_TYPE");
      expect(!types.isEmpty(), "no table types");
      return types.toString();
    });

    checks.put("metadata.getTables", () -> {
      String[] at = fixture();
      DatabaseMetaData md = connection().getMetaData();
      List<Map<String, Object>> exact = rows(md.getTables(at[0], at[1], table, null));
      expectEquals(1, exact.size(), "rows for the exact table name");
      Map<String, Object> row = exact.get(0);
      expectEquals(at[0], String.valueOf(row.get("TABLE_CAT")), "TABLE_CAT");
      expectEquals(at[1], String.valueOf(row.get("TABLE_SCHEM")), "TABLE_SCHEM");
      expectEquals(table, String.valueOf(row.get("TABLE_NAME")), "TABLE_NAME");
      String type = String.valueOf(row.get("TABLE_TYPE"));
      // `_` matches exactly one character, `%` any run; a pattern one character short matches nothing.
      String underscore = table.substring(0, table.length() - 1) + "_";
      expectEquals(1, rows(md.getTables(null, null, underscore, null)).size(), "rows for pattern " + underscore);
      expectEquals(1, rows(md.getTables(null, null, "%" + suffix, null)).size(), "rows for pattern %" + suffix);
      expectEquals(0, rows(md.getTables(null, null, table.substring(0, table.length() - 1), null)).size(), "rows for a prefix without wildcard");
      expectEquals(1, rows(md.getTables(null, null, table, new String[] {type})).size(), "rows with table type " + type);
      expectEquals(0, rows(md.getTables(null, null, table, new String[] {"VIEW"})).size(), "rows with table type VIEW");
      Set<String> everywhere = column(rows(md.getTables(null, null, "%", null)), "TABLE_NAME");
      expect(everywhere.contains(table), "getTables(null, null, %, null) misses the fixture table");
      // Tableau asks for the JDBC names of table types.
      Set<String> listed = column(rows(md.getTables(at[0], at[1], "%", new String[] {"TABLE", "VIEW"})), "TABLE_NAME");
      expect(listed.contains(table), "getTables(…, {TABLE, VIEW}) misses the fixture table (its type is " + type + ")");
      return row.toString();
    });

    checks.put("metadata.getTables_lakehouse", () -> {
      // An Iceberg table made through the edge in the catalog service; its namespace is a schema. It
      // stays (DuckDB drops Iceberg tables without purging their files), and holds no data files.
      String schema = "acme.jdbc_conformance";
      String lake = "jdbc_lake";
      String qualified = "lakehouse.\"" + schema + "\"." + lake;
      try (Statement st = connection().createStatement()) {
        st.executeUpdate("CREATE SCHEMA IF NOT EXISTS lakehouse.acme");
        st.executeUpdate("CREATE SCHEMA IF NOT EXISTS lakehouse.\"" + schema + "\"");
        st.executeUpdate("CREATE TABLE IF NOT EXISTS " + qualified + " (id INTEGER, name VARCHAR)");
        DatabaseMetaData md = connection().getMetaData();
        List<Map<String, Object>> found = rows(md.getTables("lakehouse", schema, lake, null));
        expectEquals(1, found.size(), "rows for the lakehouse table");
        expectEquals("lakehouse", String.valueOf(found.get(0).get("TABLE_CAT")), "TABLE_CAT");
        expectEquals(schema, String.valueOf(found.get(0).get("TABLE_SCHEM")), "TABLE_SCHEM");
        expectEquals("TABLE", String.valueOf(found.get(0).get("TABLE_TYPE")), "TABLE_TYPE");
        expect(column(rows(md.getTables(null, null, lake, null)), "TABLE_NAME").contains(lake), "getTables(null, null, name) misses the lakehouse table");
        expect(column(rows(md.getSchemas("lakehouse", null)), "TABLE_SCHEM").contains(schema), "getSchemas(lakehouse) misses " + schema);
        List<Map<String, Object>> cols = rows(md.getColumns("lakehouse", schema, lake, "%"));
        expectEquals(2, cols.size(), "column count");
        expectEquals(Types.INTEGER, ((Number) cols.get(0).get("DATA_TYPE")).intValue(), "DATA_TYPE of id");
        try (ResultSet rs = one(st, "SELECT count(*) FROM " + qualified)) {
          expectEquals(0L, rs.getLong(1), "rows of the empty table");
        }
        return found.toString();
      }
    });

    checks.put("metadata.getColumns", () -> {
      String[] at = fixture();
      List<Map<String, Object>> cols = rows(connection().getMetaData().getColumns(at[0], at[1], table, "%"));
      expectEquals(4, cols.size(), "column count");
      String[] names = {"id", "name", "amount", "created_at"};
      int[] types = {Types.INTEGER, Types.VARCHAR, Types.DECIMAL, Types.TIMESTAMP};
      for (int i = 0; i < names.length; i++) {
        Map<String, Object> c = cols.get(i);
        expectEquals(names[i], String.valueOf(c.get("COLUMN_NAME")), "COLUMN_NAME #" + (i + 1));
        expectEquals(types[i], ((Number) c.get("DATA_TYPE")).intValue(), "DATA_TYPE of " + names[i]);
        expectEquals(i + 1, ((Number) c.get("ORDINAL_POSITION")).intValue(), "ORDINAL_POSITION of " + names[i]);
      }
      List<Map<String, Object>> one = rows(connection().getMetaData().getColumns(at[0], at[1], table, "am%"));
      expectEquals(1, one.size(), "columns matching am%");
      // Tableau and DBeaver pass null for "any column".
      expectEquals(4, rows(connection().getMetaData().getColumns(at[0], at[1], table, null)).size(), "columns for a null pattern");
      return cols.toString();
    });

    checks.put("metadata.getColumns_nullability", () -> {
      String[] at = fixture();
      List<Map<String, Object>> cols = rows(connection().getMetaData().getColumns(at[0], at[1], table, "%"));
      expectEquals(DatabaseMetaData.columnNoNulls, ((Number) cols.get(1).get("NULLABLE")).intValue(), "NULLABLE of name (NOT NULL)");
      expectEquals("NO", String.valueOf(cols.get(1).get("IS_NULLABLE")), "IS_NULLABLE of name (NOT NULL)");
      expectEquals(DatabaseMetaData.columnNullable, ((Number) cols.get(2).get("NULLABLE")).intValue(), "NULLABLE of amount");
      return "ok";
    });

    checks.put("metadata.getPrimaryKeys", () -> {
      String[] at = fixture();
      List<Map<String, Object>> keys = rows(connection().getMetaData().getPrimaryKeys(at[0], at[1], table));
      expectEquals(1, keys.size(), "primary key columns");
      expectEquals("id", String.valueOf(keys.get(0).get("COLUMN_NAME")), "COLUMN_NAME");
      expectEquals(1, ((Number) keys.get(0).get("KEY_SEQ")).intValue(), "KEY_SEQ");
      return keys.toString();
    });

    checks.put("metadata.getImportedExportedKeys", () -> {
      String[] at = fixture();
      DatabaseMetaData md = connection().getMetaData();
      List<Map<String, Object>> imported = rows(md.getImportedKeys(at[0], at[1], table));
      List<Map<String, Object>> exported = rows(md.getExportedKeys(at[0], at[1], table));
      expectEquals(0, imported.size(), "imported keys of a table without foreign keys");
      expectEquals(0, exported.size(), "exported keys of a table nobody references");
      return "imported=" + imported + " exported=" + exported;
    });

    // Tableau calls getTypeInfo. The 17.x and 18.x drivers answer it themselves with an empty
    // result and never send CommandGetXdbcTypeInfo (test_flight.py checks that command directly),
    // so here it only has to answer without an error and with the JDBC columns.
    checks.put("metadata.getTypeInfo", () -> {
      ResultSet rs = connection().getMetaData().getTypeInfo();
      ResultSetMetaData md = rs.getMetaData();
      Set<String> labels = new HashSet<>();
      for (int i = 1; i <= md.getColumnCount(); i++) labels.add(md.getColumnLabel(i).toUpperCase(Locale.ROOT));
      List<Map<String, Object>> types = rows(rs);
      for (String wanted : new String[] {"TYPE_NAME", "DATA_TYPE", "PRECISION", "NULLABLE"}) {
        expect(labels.contains(wanted), "getTypeInfo lacks column " + wanted + ": " + labels);
      }
      return types.size() + " rows " + column(types, "TYPE_NAME");
    });

    checks.put("statement.query", () -> {
      try (Statement st = connection().createStatement();
          ResultSet rs = st.executeQuery("SELECT 42 AS answer, 'forty-two' AS word UNION ALL SELECT 7, 'seven' ORDER BY 1")) {
        ResultSetMetaData md = rs.getMetaData();
        expectEquals(2, md.getColumnCount(), "column count");
        expectEquals("answer", md.getColumnLabel(1), "label 1");
        expectEquals("word", md.getColumnLabel(2), "label 2");
        List<String> got = new ArrayList<>();
        while (rs.next()) got.add(rs.getInt(1) + ":" + rs.getString(2));
        expectEquals(Arrays.asList("7:seven", "42:forty-two"), got, "rows");
        return got.toString();
      }
    });

    // How Tableau learns a custom SQL's columns: wrap it so that no row comes back and read the
    // prepared statement's metadata.
    checks.put("statement.tableau_empty_probe", () -> {
      fixture();
      String sql = "SELECT * FROM (SELECT id, name, amount FROM " + table + ") \"TableauSQL\" WHERE (1 = 0)";
      try (PreparedStatement ps = connection().prepareStatement(sql)) {
        ResultSetMetaData md = ps.getMetaData();
        expectEquals(3, md.getColumnCount(), "column count");
        expectEquals("amount", md.getColumnName(3), "third column");
        expectEquals(Types.DECIMAL, md.getColumnType(3), "type of amount");
        expectEquals(2, md.getScale(3), "scale of amount");
        try (ResultSet rs = ps.executeQuery()) {
          expect(!rs.next(), "a row came back from WHERE (1 = 0)");
        }
        return "ok";
      }
    });

    checks.put("statement.empty_result_metadata", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery("SELECT 1 AS a, 'x' AS b WHERE 1 = 0")) {
        expectEquals(2, rs.getMetaData().getColumnCount(), "column count of an empty result");
        expect(!rs.next(), "a row came back from WHERE 1 = 0");
        return "ok";
      }
    });

    // A query that would run for many minutes, cancelled from another thread: the driver reports
    // the cancel and the connection keeps working.
    checks.put("statement.cancel", () -> {
      Statement st = connection().createStatement();
      Thread canceller = new Thread(() -> {
        try {
          Thread.sleep(1000);
          st.cancel();
        } catch (Exception ignored) {
          // the query's own outcome is what the check asserts
        }
      });
      canceller.start();
      try (ResultSet rs = st.executeQuery("SELECT sum(hash(i)) FROM range(1000000000000) t(i)")) {
        while (rs.next()) {
          // draining: the cancel must end this early
        }
        throw new CheckFailed("the query finished although it was cancelled");
      } catch (SQLException e) {
        canceller.join();
        String text = fullMessage(e).toLowerCase(Locale.ROOT);
        expect(text.contains("cancel"), "not a cancellation: " + fullMessage(e));
      } finally {
        st.close();
      }
      try (Statement again = connection().createStatement(); ResultSet rs = one(again, "SELECT 1")) {
        expectEquals(1, rs.getInt(1), "SELECT 1 after the cancel");
      }
      return "cancelled";
    });

    checks.put("statement.maxRows", () -> {
      try (Statement st = connection().createStatement()) {
        st.setMaxRows(10);
        int n = 0;
        try (ResultSet rs = st.executeQuery("SELECT * FROM range(1000)")) {
          while (rs.next()) n++;
        }
        expectEquals(10, n, "rows with setMaxRows(10)");
        return n + " rows";
      }
    });

    checks.put("statement.executeUpdate", () -> {
      String t = "jdbc_dml_" + suffix;
      try (Statement st = connection().createStatement()) {
        st.executeUpdate("CREATE TABLE " + t + " (k INTEGER, v VARCHAR)");
        expectEquals(3, st.executeUpdate("INSERT INTO " + t + " VALUES (1, 'a'), (2, 'b'), (3, 'c')"), "inserted rows");
        expectEquals(2, st.executeUpdate("UPDATE " + t + " SET v = 'z' WHERE k >= 2"), "updated rows");
        expectEquals(1, st.executeUpdate("DELETE FROM " + t + " WHERE k = 1"), "deleted rows");
        try (ResultSet rs = one(st, "SELECT count(*), string_agg(v, ',' ORDER BY k) FROM " + t)) {
          expectEquals(2L, rs.getLong(1), "rows left");
          expectEquals("z,z", rs.getString(2), "values left");
        }
        st.executeUpdate("DROP TABLE " + t);
      }
      return "create/insert/update/delete/drop";
    });

    checks.put("prepared.query_with_parameters", () -> {
      fixture();
      try (PreparedStatement ps = connection().prepareStatement("SELECT id, name, amount FROM " + table + " WHERE id = ? OR name = ? ORDER BY id")) {
        ResultSetMetaData before = ps.getMetaData();
        expect(before != null && before.getColumnCount() == 3, "result metadata before execution: " + before);
        ps.setInt(1, 1);
        ps.setString(2, "two");
        List<String> got = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) got.add(rs.getInt(1) + ":" + rs.getString(2) + ":" + rs.getBigDecimal(3));
        }
        expectEquals(Arrays.asList("1:one:1.50", "2:two:2.25"), got, "rows for id=1 or name='two'");
        ps.setInt(1, 2);
        ps.setString(2, "nobody");
        got.clear();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) got.add(rs.getInt(1) + ":" + rs.getString(2));
        }
        expectEquals(Arrays.asList("2:two"), got, "rows after rebinding");
        return got.toString();
      }
    });

    checks.put("prepared.update_with_parameters", () -> {
      String t = "jdbc_prep_" + suffix;
      try (Statement st = connection().createStatement()) {
        st.executeUpdate("CREATE TABLE " + t + " (k INTEGER, v VARCHAR, d DOUBLE)");
      }
      try (PreparedStatement ps = connection().prepareStatement("INSERT INTO " + t + " VALUES (?, ?, ?)")) {
        for (int k = 1; k <= 3; k++) {
          ps.setInt(1, k);
          ps.setString(2, "v" + k);
          ps.setDouble(3, k / 2.0);
          expectEquals(1, ps.executeUpdate(), "rows inserted by execution " + k);
        }
      }
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT count(*), sum(k), string_agg(v, ',' ORDER BY k), sum(d) FROM " + t)) {
        expectEquals(3L, rs.getLong(1), "count");
        expectEquals(6L, rs.getLong(2), "sum(k)");
        expectEquals("v1,v2,v3", rs.getString(3), "values");
        expectEquals(3.0, rs.getDouble(4), "sum(d)");
      }
      return "3 parameterised inserts";
    });

    // Transactions only if advertised: when the server says it supports them, a rollback must undo.
    checks.put("transactions.truthful", () -> {
      boolean advertised = connection().getMetaData().supportsTransactions();
      if (!advertised) return "not advertised";
      String t = "jdbc_tx_" + suffix;
      try (Connection c = DriverManager.getConnection(url(password)); Statement st = c.createStatement()) {
        st.executeUpdate("CREATE TABLE " + t + " (k INTEGER)");
        c.setAutoCommit(false);
        st.executeUpdate("INSERT INTO " + t + " VALUES (1)");
        c.rollback();
        c.setAutoCommit(true);
        try (ResultSet rs = one(st, "SELECT count(*) FROM " + t)) {
          expectEquals(0L, rs.getLong(1), "rows after rollback");
        }
      }
      return "advertised, rollback undoes an insert";
    });

    checks.put("types.integers", () -> {
      try (Statement st = connection().createStatement();
          ResultSet rs = one(st, "SELECT (-128)::TINYINT, 32767::SMALLINT, (-2147483648)::INTEGER, 9223372036854775807::BIGINT")) {
        expectEquals((byte) -128, rs.getByte(1), "TINYINT");
        expectEquals((short) 32767, rs.getShort(2), "SMALLINT");
        expectEquals(-2147483648, rs.getInt(3), "INTEGER");
        expectEquals(9223372036854775807L, rs.getLong(4), "BIGINT");
        ResultSetMetaData md = rs.getMetaData();
        expectEquals(Types.TINYINT, md.getColumnType(1), "TINYINT column type");
        expectEquals(Types.SMALLINT, md.getColumnType(2), "SMALLINT column type");
        expectEquals(Types.INTEGER, md.getColumnType(3), "INTEGER column type");
        expectEquals(Types.BIGINT, md.getColumnType(4), "BIGINT column type");
        return "ok";
      }
    });

    checks.put("types.floats", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT 1.5::REAL, -2.25e300::DOUBLE, 'NaN'::DOUBLE")) {
        expectEquals(1.5f, rs.getFloat(1), "REAL");
        expectEquals(-2.25e300, rs.getDouble(2), "DOUBLE");
        expect(Double.isNaN(rs.getDouble(3)), "NaN");
        return "ok";
      }
    });

    checks.put("types.decimal", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT 12345678.901::DECIMAL(18,3), -0.05::DECIMAL(4,2), 123456789012345678901234567.8901::DECIMAL(38,4)")) {
        expectEquals(new BigDecimal("12345678.901"), rs.getBigDecimal(1), "DECIMAL(18,3)");
        expectEquals(new BigDecimal("-0.05"), rs.getBigDecimal(2), "DECIMAL(4,2)");
        expectEquals(new BigDecimal("123456789012345678901234567.8901"), rs.getBigDecimal(3), "DECIMAL(38,4)");
        expectEquals(Types.DECIMAL, rs.getMetaData().getColumnType(1), "column type");
        return "ok";
      }
    });

    // Tableau sizes DECIMAL and VARCHAR columns from ResultSetMetaData before it reads a row.
    checks.put("types.decimal_precision_scale", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT 12345678.901::DECIMAL(18,3)")) {
        expectEquals(18, rs.getMetaData().getPrecision(1), "precision");
        expectEquals(3, rs.getMetaData().getScale(1), "scale");
        return "ok";
      }
    });

    checks.put("types.varchar", () -> {
      String text = "héllo, 世界 ✓ \"quoted\"";
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT 'héllo, 世界 ✓ \"quoted\"'::VARCHAR, ''::VARCHAR")) {
        expectEquals(text, rs.getString(1), "unicode text");
        expectEquals("", rs.getString(2), "empty string");
        expectEquals(Types.VARCHAR, rs.getMetaData().getColumnType(1), "column type");
        return "ok";
      }
    });

    checks.put("types.blob", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT '\\xAA\\x00\\xFFabc'::BLOB")) {
        expectEquals(Arrays.toString(new byte[] {(byte) 0xAA, 0, (byte) 0xFF, 'a', 'b', 'c'}), Arrays.toString(rs.getBytes(1)), "bytes");
        int type = rs.getMetaData().getColumnType(1);
        expect(type == Types.VARBINARY || type == Types.BINARY || type == Types.LONGVARBINARY || type == Types.BLOB, "column type " + type);
        return "ok";
      }
    });

    checks.put("types.boolean", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT true, false")) {
        expectEquals(true, rs.getBoolean(1), "true");
        expectEquals(false, rs.getBoolean(2), "false");
        expectEquals(Types.BOOLEAN, rs.getMetaData().getColumnType(1), "column type");
        return "ok";
      }
    });

    checks.put("types.date", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT DATE '2024-02-29', DATE '1969-07-20'")) {
        expectEquals(LocalDate.of(2024, 2, 29), rs.getDate(1).toLocalDate(), "DATE 2024-02-29");
        expectEquals(LocalDate.of(1969, 7, 20), rs.getDate(2).toLocalDate(), "DATE before the epoch");
        expectEquals(Types.DATE, rs.getMetaData().getColumnType(1), "column type");
        return "ok";
      }
    });

    // The JVM runs in America/New_York. The driver's getTime()/getTimestamp() render values shifted
    // by the JVM's offset (both 17.x and 18.x), so these checks read through the paths that keep
    // them: the time's milliseconds, the text form, and on 18.x the java.time objects.
    checks.put("types.time", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT TIME '13:45:30.123'")) {
        // java.sql.Time carries the time of day as UTC milliseconds; the driver renders it in the JVM's zone.
        expectEquals(LocalTime.of(13, 45, 30, 123_000_000), LocalTime.ofNanoOfDay(rs.getTime(1).getTime() * 1_000_000L), "TIME of day");
        expectEquals(Types.TIME, rs.getMetaData().getColumnType(1), "column type");
        return rs.getString(1);
      }
    });

    checks.put("types.timestamp", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT TIMESTAMP '2024-03-10 12:34:56.789'")) {
        expectEquals("2024-03-10 12:34:56.789", rs.getString(1), "TIMESTAMP as text");
        expectEquals(Types.TIMESTAMP, rs.getMetaData().getColumnType(1), "column type");
        if (driverMajor() >= 18) {
          expectEquals(LocalDateTime.of(2024, 3, 10, 12, 34, 56, 789_000_000), rs.getObject(1, LocalDateTime.class), "TIMESTAMP as LocalDateTime");
        }
        return rs.getString(1) + " in JVM zone " + ZoneId.systemDefault();
      }
    });

    checks.put("types.timestamptz", () -> {
      try (Statement st = connection().createStatement();
          ResultSet rs = one(st, "SELECT TIMESTAMPTZ '2024-03-10 12:34:56.789+00', TIMESTAMPTZ '2024-07-01 08:00:00-07'")) {
        Instant first = Instant.parse("2024-03-10T12:34:56.789Z");
        Instant second = Instant.parse("2024-07-01T15:00:00Z");
        if (driverMajor() >= 18) {
          expectEquals(Types.TIMESTAMP_WITH_TIMEZONE, rs.getMetaData().getColumnType(1), "column type");
          expectEquals(first, rs.getObject(1, Instant.class), "instant");
          expectEquals(second, rs.getObject(2, OffsetDateTime.class).toInstant(), "instant from -07:00");
        } else {
          // 17.x has no java.time path; its text form is the instant's UTC wall clock.
          expectEquals(first, LocalDateTime.parse(rs.getString(1).replace(' ', 'T')).toInstant(ZoneOffset.UTC), "instant");
          expectEquals(second, LocalDateTime.parse(rs.getString(2).replace(' ', 'T')).toInstant(ZoneOffset.UTC), "instant from -07:00");
        }
        return rs.getString(1) + " in JVM zone " + ZoneId.systemDefault();
      }
    });

    // The classic java.sql getters, as DBeaver and Tableau read values. Right only in a UTC JVM,
    // which the README tells users to run; the suite runs this check in one.
    checks.put("types.datetime_getters", () -> {
      try (Statement st = connection().createStatement();
          ResultSet rs = one(st, "SELECT TIME '13:45:30', TIMESTAMP '2024-03-10 12:34:56.789', TIMESTAMPTZ '2024-07-01 08:00:00-07', DATE '2024-02-29'")) {
        expectEquals("13:45:30", rs.getTime(1).toString(), "getTime");
        expectEquals("2024-03-10 12:34:56.789", rs.getTimestamp(2).toString(), "getTimestamp of a TIMESTAMP");
        expectEquals(Instant.parse("2024-07-01T15:00:00Z"), rs.getTimestamp(3).toInstant(), "getTimestamp of a TIMESTAMPTZ");
        expectEquals("2024-02-29", rs.getDate(4).toString(), "getDate");
        return "JVM zone " + ZoneId.systemDefault();
      }
    });

    checks.put("types.interval", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT INTERVAL '1 year 2 months 3 days 04:05:06', INTERVAL '90 minutes'")) {
        Object a = rs.getObject(1);
        Object b = rs.getObject(2);
        expect(a != null && b != null, "interval read as null");
        String text = a.toString() + " / " + b.toString();
        expect(rs.getString(1) != null && !rs.getString(1).isEmpty(), "interval as string");
        return a.getClass().getSimpleName() + " " + text;
      }
    });

    checks.put("types.uuid", () -> {
      String u = "4ac7a9e9-607c-4c8a-84f3-843f0191e3fd";
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT '" + u + "'::UUID")) {
        expectEquals(u, rs.getString(1).toLowerCase(Locale.ROOT), "UUID as string");
        return rs.getObject(1).getClass().getSimpleName();
      }
    });

    checks.put("types.list", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT [1, 2, NULL, 4]::INTEGER[], []::INTEGER[]")) {
        Array array = rs.getArray(1);
        Object[] values = (Object[]) array.getArray();
        expectEquals(Arrays.asList(1, 2, null, 4), Arrays.asList(values), "list values");
        expectEquals(0, ((Object[]) rs.getArray(2).getArray()).length, "empty list");
        expectEquals(Types.ARRAY, rs.getMetaData().getColumnType(1), "column type");
        return Arrays.toString(values);
      }
    });

    checks.put("types.struct", () -> {
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT {'a': 1, 'b': 'x'}")) {
        Object value = rs.getObject(1);
        expect(value instanceof Map, "struct read as " + (value == null ? "null" : value.getClass().getName()));
        Map<?, ?> map = (Map<?, ?>) value;
        expectEquals(1, map.get("a"), "field a");
        expectEquals("x", String.valueOf(map.get("b")), "field b");
        return map.toString();
      }
    });

    checks.put("types.nulls", () -> {
      try (Statement st = connection().createStatement();
          ResultSet rs = one(st, "SELECT NULL::INTEGER, NULL::VARCHAR, NULL::DOUBLE, NULL::DECIMAL(10,2), NULL::BOOLEAN, NULL::DATE, NULL::TIMESTAMP, NULL::BLOB, NULL::INTEGER[]")) {
        int n = rs.getMetaData().getColumnCount();
        for (int i = 1; i <= n; i++) {
          Object value = rs.getObject(i);
          expect(value == null && rs.wasNull(), "column " + i + " (" + rs.getMetaData().getColumnTypeName(i) + ") read as " + value);
        }
        expectEquals(0, rs.getInt(1), "getInt of NULL");
        expect(rs.wasNull(), "wasNull after getInt");
        return n + " null columns";
      }
    });

    checks.put("large.range_2m_summed", () -> {
      long rows = 0;
      long sum = 0;
      try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM range(2000000)")) {
        while (rs.next()) {
          rows++;
          sum += rs.getLong(1);
        }
      }
      expectEquals(2_000_000L, rows, "rows");
      expectEquals(1_999_999_000_000L, sum, "sum");
      return rows + " rows, sum " + sum;
    });

    checks.put("errors.bad_sql", () -> {
      SQLException e = expectSqlError("SELEC 1");
      expect(fullMessage(e).contains("syntax error"), "the engine's message is missing: " + fullMessage(e));
      return e.getMessage();
    });

    checks.put("errors.unknown_table", () -> {
      SQLException e = expectSqlError("SELECT * FROM no_such_table_" + suffix);
      expect(fullMessage(e).contains("no_such_table_" + suffix), "the message does not name the table: " + fullMessage(e));
      return e.getMessage();
    });

    checks.put("errors.connection_survives", () -> {
      expectSqlError("SELECT * FROM (");
      try (Statement st = connection().createStatement(); ResultSet rs = one(st, "SELECT 1")) {
        expectEquals(1, rs.getInt(1), "SELECT 1 after an error");
      }
      return "ok";
    });
  }

  static String json(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.append('"').toString();
  }

  void run(List<String> only) {
    List<String> names = only.isEmpty() ? new ArrayList<>(checks.keySet()) : only;
    for (String name : names) {
      Check check = checks.get(name);
      long started = System.nanoTime();
      String line;
      if (check == null) {
        line = "{\"check\":" + json(name) + ",\"ok\":false,\"error\":\"no such check\"}";
      } else {
        try {
          String detail = check.run();
          line = "{\"check\":" + json(name) + ",\"ok\":true,\"ms\":" + (System.nanoTime() - started) / 1_000_000 + ",\"detail\":" + json(String.valueOf(detail)) + "}";
        } catch (Throwable t) {
          String error = t instanceof CheckFailed ? t.getMessage() : t.getClass().getName() + ": " + fullMessage(t);
          line = "{\"check\":" + json(name) + ",\"ok\":false,\"error\":" + json(error) + "}";
        }
      }
      System.out.println(line);
      System.out.flush();
    }
    // Best effort: leave no tables behind in the server's catalog.
    for (String t : new String[] {table, "jdbc_prep_" + suffix, "jdbc_dml_" + suffix, "jdbc_tx_" + suffix}) {
      try (Statement st = connection().createStatement()) {
        st.executeUpdate("DROP TABLE IF EXISTS " + t);
      } catch (Exception ignored) {
        // a failed drop does not change any check's outcome
      }
    }
    try {
      if (connection != null) connection.close();
    } catch (SQLException ignored) {
      // the process ends anyway
    }
  }

  public static void main(String[] args) {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) opts.put(args[i], args[i + 1]);
    JdbcConformance conformance = new JdbcConformance(
        opts.getOrDefault("--host", "127.0.0.1"),
        Integer.parseInt(opts.getOrDefault("--port", "50133")),
        opts.getOrDefault("--user", "openfoundry"),
        opts.getOrDefault("--password", "openfoundry"),
        opts.get("--documented-url"));
    if (Arrays.asList(args).contains("--list")) {
      conformance.checks.keySet().forEach(System.out::println);
      return;
    }
    String only = opts.getOrDefault("--checks", "");
    conformance.run(only.isEmpty() ? List.of() : Arrays.asList(only.split(",")));
    System.exit(0);
  }
}

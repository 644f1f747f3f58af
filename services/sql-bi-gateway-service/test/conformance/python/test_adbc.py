"""The ADBC Flight SQL driver (adbc_driver_flightsql.dbapi) against the gateway."""

import datetime
import decimal
import os
import uuid

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pyarrow as pa
import pyarrow.compute as pc
import pytest


def connect(uri, user, password):
    return flightsql.connect(
        uri,
        db_kwargs={
            adbc_driver_manager.DatabaseOptions.USERNAME.value: user,
            adbc_driver_manager.DatabaseOptions.PASSWORD.value: password,
        },
        autocommit=True,
    )


@pytest.fixture
def conn(flight_uri, credentials):
    connection = connect(flight_uri, *credentials)
    yield connection
    connection.close()


@pytest.fixture
def table(conn, suffix):
    """A small table in the session's default catalog and schema, with where it landed."""
    name = f"adbc_conf_{suffix}"
    with conn.cursor() as cur:
        cur.executescript(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, score DOUBLE)")
        cur.executescript(f"INSERT INTO {name} VALUES (1, 'one', 0.5), (2, 'two', 1.5)")
        cur.execute("SELECT current_database(), current_schema()")
        catalog, schema = cur.fetchone()
    yield {"name": name, "catalog": catalog, "schema": schema}
    update(conn, f"DROP TABLE IF EXISTS {name}")


def update(conn, sql):
    """Runs a statement through ADBC's ExecuteUpdate (Flight SQL CommandStatementUpdate) and returns its row count."""
    with conn.cursor() as cur:
        stmt = cur.adbc_statement
        stmt.set_sql_query(sql)
        return stmt.execute_update()


def test_get_info(conn):
    info = conn.adbc_get_info()
    assert info["vendor_name"], info
    assert info["vendor_version"], info
    assert info["driver_name"] == "ADBC Flight SQL Driver - Go", info


def test_get_objects_depth_all(conn, table):
    objects = conn.adbc_get_objects(depth="all", catalog_filter=table["catalog"]).read_all().to_pylist()
    catalogs = {c["catalog_name"]: c for c in objects}
    assert table["catalog"] in catalogs, list(catalogs)
    schemas = {s["db_schema_name"]: s for s in catalogs[table["catalog"]]["catalog_db_schemas"]}
    assert table["schema"] in schemas, list(schemas)
    tables = {t["table_name"]: t for t in schemas[table["schema"]]["db_schema_tables"]}
    assert table["name"] in tables, list(tables)
    columns = [(c["column_name"], c["ordinal_position"]) for c in tables[table["name"]]["table_columns"]]
    assert columns == [("id", 1), ("name", 2), ("score", 3)]


def test_get_objects_filters(conn, table):
    found = conn.adbc_get_objects(depth="tables", table_name_filter=table["name"][:-1] + "_").read_all().to_pylist()
    names = [t["table_name"] for c in found for s in c["catalog_db_schemas"] or [] for t in s["db_schema_tables"] or []]
    assert names == [table["name"]]


def test_get_table_schema(conn, table):
    schema = conn.adbc_get_table_schema(table["name"], catalog_filter=table["catalog"], db_schema_filter=table["schema"])
    assert schema.names == ["id", "name", "score"]
    assert schema.types == [pa.int32(), pa.string(), pa.float64()]


def test_get_table_types(conn):
    types = conn.adbc_get_table_types()
    assert types, types


def test_query(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT 42 AS answer, 'forty-two' AS word UNION ALL SELECT 7, 'seven' ORDER BY 1")
        assert [d[0] for d in cur.description] == ["answer", "word"]
        assert cur.fetchall() == [(7, "seven"), (42, "forty-two")]


def test_bound_parameters(conn, table):
    with conn.cursor() as cur:
        cur.execute(f"SELECT id, name FROM {table['name']} WHERE id = ? OR name = ? ORDER BY id", (1, "two"))
        assert cur.fetchall() == [(1, "one"), (2, "two")]
        cur.execute(f"SELECT id, name FROM {table['name']} WHERE id = ? OR name = ? ORDER BY id", (2, "nobody"))
        assert cur.fetchall() == [(2, "two")]


def test_parameter_in_the_select_list(conn):
    # The result type depends on the bound value: the prepared schema and the result must still agree.
    with conn.cursor() as cur:
        cur.execute("SELECT 40 + ? AS answer", (2,))
        assert cur.fetchall() == [(42,)]


def test_parameter_batch_larger_than_4_mib(conn, suffix):
    name = f"adbc_big_{suffix}"
    update(conn, f"CREATE TABLE {name} (k BIGINT, v VARCHAR)")
    rows = 10_000
    batch = pa.table({"k": pa.array(range(rows), pa.int64()), "v": pa.array(["x" * 500] * rows)})
    assert batch.nbytes > 4 * 1024 * 1024
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {name} VALUES (?, ?)", batch)
        cur.execute(f"SELECT count(*), sum(k)::BIGINT, sum(length(v))::BIGINT FROM {name}")
        assert cur.fetchone() == (rows, rows * (rows - 1) // 2, rows * 500)
    update(conn, f"DROP TABLE {name}")


def test_restricted_user_sees_only_granted_catalogs(flight_uri):
    user, password, granted = restricted_user()
    restricted = connect(flight_uri, user, password)
    try:
        listed = [c["catalog_name"] for c in restricted.adbc_get_objects(depth="catalogs").read_all().to_pylist()]
    finally:
        restricted.close()
    assert sorted(listed) == sorted(granted)


def restricted_user():
    user, password, *catalogs = os.environ.get("CONFORMANCE_RESTRICTED_USER", "analyst:analyst:duckdb").split(":")
    return user, password, catalogs[0].split(",") if catalogs else []


def test_restricted_user_cannot_query_an_ungranted_catalog(conn, flight_uri):
    user, password, granted = restricted_user()
    every = [c["catalog_name"] for c in conn.adbc_get_objects(depth="catalogs").read_all().to_pylist()]
    ungranted = [c for c in every if c not in granted]
    if not ungranted:
        pytest.skip("the server has no catalog outside the restricted user's grants")
    restricted = connect(flight_uri, user, password)
    try:
        with restricted.cursor() as cur, pytest.raises(adbc_driver_manager.Error) as caught:
            cur.execute(f"SELECT count(*) FROM {ungranted[0]}.information_schema.tables")
    finally:
        restricted.close()
    assert caught.value.status_code == adbc_driver_manager.AdbcStatusCode.UNAUTHORIZED, caught.value


def test_write_to_a_read_only_catalog_is_permission_denied(conn):
    with pytest.raises(adbc_driver_manager.Error) as caught:
        update(conn, "CREATE TABLE postgres.public.conformance_must_not_exist (k INTEGER)")
    assert caught.value.status_code == adbc_driver_manager.AdbcStatusCode.UNAUTHORIZED, caught.value


def test_execute_update_dml(conn, suffix):
    name = f"adbc_dml_{suffix}"
    update(conn, f"CREATE TABLE {name} (k INTEGER, v VARCHAR)")
    assert update(conn, f"INSERT INTO {name} VALUES (1, 'a'), (2, 'b'), (3, 'c')") == 3
    assert update(conn, f"UPDATE {name} SET v = 'z' WHERE k >= 2") == 2
    assert update(conn, f"DELETE FROM {name} WHERE k = 1") == 1
    with conn.cursor() as cur:
        cur.execute(f"SELECT k, v FROM {name} ORDER BY k")
        assert cur.fetchall() == [(2, "z"), (3, "z")]
    update(conn, f"DROP TABLE {name}")


def test_execute_runs_ddl_and_ctas_once_without_a_fetch(conn, suffix):
    """cursor.execute sends DDL and DML as CommandStatementQuery; they take effect once, fetched or not."""
    name = f"adbc_ctas_{suffix}"
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} AS SELECT * FROM range(3) t(i)")
        cur.execute(f"INSERT INTO {name} VALUES (10)")
        cur.execute(f"SELECT count(*), sum(i) FROM {name}")
        assert cur.fetchone() == (4, 13)
    update(conn, f"DROP TABLE {name}")


def test_executemany_bound_inserts(conn, suffix):
    name = f"adbc_many_{suffix}"
    update(conn, f"CREATE TABLE {name} (k INTEGER, v VARCHAR)")
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {name} VALUES (?, ?)", [(1, "a"), (2, "b"), (3, None)])
        cur.execute(f"SELECT k, v FROM {name} ORDER BY k")
        assert cur.fetchall() == [(1, "a"), (2, "b"), (3, None)]
    update(conn, f"DROP TABLE {name}")


def test_bulk_fetch_arrow_table(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM range(2000000) t(i)")
        result = cur.fetch_arrow_table()
    assert result.num_rows == 2_000_000
    assert pc.sum(result.column("i")).as_py() == 1_999_999_000_000


def test_types(conn):
    sql = """SELECT
        (-128)::TINYINT AS i8, 32767::SMALLINT AS i16, (-2147483648)::INTEGER AS i32, 9223372036854775807::BIGINT AS i64,
        255::UTINYINT AS u8, 18446744073709551615::UBIGINT AS u64,
        1.5::REAL AS f32, -2.25::DOUBLE AS f64, 12345678.901::DECIMAL(18,3) AS dec,
        'héllo ✓'::VARCHAR AS txt, '\\xAA\\x00\\xFF'::BLOB AS bin, true AS flag,
        DATE '2024-02-29' AS d, TIME '13:45:30.123456' AS t,
        TIMESTAMP '2024-03-10 12:34:56.789' AS ts, TIMESTAMPTZ '2024-07-01 08:00:00-07' AS tstz,
        '4ac7a9e9-607c-4c8a-84f3-843f0191e3fd'::UUID AS u,
        [1, 2, NULL]::INTEGER[] AS lst, {'a': 1, 'b': 'x'} AS st, NULL::INTEGER AS nul"""
    with conn.cursor() as cur:
        cur.execute(sql)
        table = cur.fetch_arrow_table()
    types = dict(zip(table.schema.names, table.schema.types))
    assert types["i8"] == pa.int8()
    assert types["i16"] == pa.int16()
    assert types["i32"] == pa.int32()
    assert types["i64"] == pa.int64()
    assert types["u8"] == pa.uint8()
    assert types["u64"] == pa.uint64()
    assert types["f32"] == pa.float32()
    assert types["f64"] == pa.float64()
    assert types["dec"] == pa.decimal128(18, 3)
    assert types["txt"] == pa.string()  # plain Utf8: no dictionary, large or view type
    assert types["bin"] == pa.binary()
    assert types["flag"] == pa.bool_()
    assert types["d"] == pa.date32()
    assert pa.types.is_time(types["t"])
    assert pa.types.is_timestamp(types["ts"]) and types["ts"].tz is None
    assert pa.types.is_timestamp(types["tstz"]) and types["tstz"].tz in ("UTC", "+00:00", "Etc/UTC")
    assert pa.types.is_list(types["lst"])
    assert pa.types.is_struct(types["st"])
    row = table.to_pylist()[0]
    assert row["i8"] == -128 and row["i16"] == 32767 and row["i32"] == -2147483648 and row["i64"] == 2**63 - 1
    assert row["u8"] == 255 and row["u64"] == 2**64 - 1
    assert row["f32"] == 1.5 and row["f64"] == -2.25
    assert row["dec"] == decimal.Decimal("12345678.901")
    assert row["txt"] == "héllo ✓"
    assert row["bin"] == b"\xaa\x00\xff"
    assert row["flag"] is True
    assert row["d"] == datetime.date(2024, 2, 29)
    assert row["t"] == datetime.time(13, 45, 30, 123456)
    assert row["ts"] == datetime.datetime(2024, 3, 10, 12, 34, 56, 789000)
    assert row["tstz"] == datetime.datetime(2024, 7, 1, 15, 0, tzinfo=datetime.timezone.utc)
    assert str(uuid.UUID(bytes=row["u"]) if isinstance(row["u"], bytes) else row["u"]) == "4ac7a9e9-607c-4c8a-84f3-843f0191e3fd"
    assert row["lst"] == [1, 2, None]
    assert row["st"] == {"a": 1, "b": "x"}
    assert row["nul"] is None


def test_sum_of_integers_is_numeric(conn):
    # DuckDB widens SUM(BIGINT) to HUGEINT; BI tools aggregate integer columns all the time.
    with conn.cursor() as cur:
        cur.execute("SELECT sum(x) AS total FROM range(10) t(x)")
        table = cur.fetch_arrow_table()
    assert pa.types.is_integer(table.schema.field("total").type) or pa.types.is_decimal(table.schema.field("total").type), table.schema
    assert table.column("total")[0].as_py() == 45


def test_interval(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT INTERVAL '1 year 2 months 3 days 04:05:06' AS iv")
        table = cur.fetch_arrow_table()
    assert table.schema.field("iv").type == pa.month_day_nano_interval()
    value = table.column("iv")[0].as_py()
    assert (value.months, value.days, value.nanoseconds) == (14, 3, (4 * 3600 + 5 * 60 + 6) * 10**9)


def test_wrong_password_is_an_authentication_error(flight_uri, credentials):
    user, password = credentials
    with pytest.raises(adbc_driver_manager.Error) as caught:
        bad = connect(flight_uri, user, password + "-wrong")
        try:
            with bad.cursor() as cur:
                cur.execute("SELECT 1")
        finally:
            bad.close()
    assert caught.value.status_code == adbc_driver_manager.AdbcStatusCode.UNAUTHENTICATED, caught.value


def test_bad_sql_carries_the_engine_message(conn):
    with conn.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error) as caught:
            cur.execute("SELEC 1")
    assert "syntax error" in str(caught.value), caught.value
    assert caught.value.status_code == adbc_driver_manager.AdbcStatusCode.INVALID_ARGUMENT, caught.value


def test_unknown_table_is_not_found(conn, suffix):
    with conn.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error) as caught:
            cur.execute(f"SELECT * FROM no_such_table_{suffix}")
    assert f"no_such_table_{suffix}" in str(caught.value), caught.value
    assert caught.value.status_code == adbc_driver_manager.AdbcStatusCode.NOT_FOUND, caught.value

"""Raw Arrow Flight (pyarrow.flight) against the gateway: the protocol without a Flight SQL driver.

Flight SQL commands travel as protobuf `google.protobuf.Any` in the FlightDescriptor; the few
messages needed here are encoded by hand from the wire format.
"""

import pyarrow as pa
import pyarrow.flight as flight
import pytest

SQL_PACKAGE = "type.googleapis.com/arrow.flight.protocol.sql."


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_delimited(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def command(name, body=b""):
    """A Flight SQL command wrapped in Any (type_url = field 1, value = field 2)."""
    return length_delimited(1, (SQL_PACKAGE + name).encode()) + length_delimited(2, body)


def statement_query(sql):
    return command("CommandStatementQuery", length_delimited(1, sql.encode()))


@pytest.fixture
def client(flight_uri):
    c = flight.FlightClient(flight_uri)
    yield c
    c.close()


@pytest.fixture
def options(client, credentials):
    header = client.authenticate_basic_token(*credentials)
    return flight.FlightCallOptions(headers=[header])


def read_all(client, options, info):
    assert len(info.endpoints) >= 1
    tables = [client.do_get(endpoint.ticket, options).read_all() for endpoint in info.endpoints]
    return pa.concat_tables(tables)


def test_basic_auth_handshake_returns_bearer_token(client, credentials):
    key, value = client.authenticate_basic_token(*credentials)
    assert key.lower() == b"authorization"
    assert value.startswith(b"Bearer ") and len(value) > len(b"Bearer "), value


def test_statement_query_get_flight_info_and_do_get(client, options):
    descriptor = flight.FlightDescriptor.for_command(statement_query("SELECT * FROM range(5) t(i)"))
    info = client.get_flight_info(descriptor, options)
    assert info.schema.names == ["i"]
    table = read_all(client, options, info)
    assert table.column("i").to_pylist() == [0, 1, 2, 3, 4]


def test_ticket_is_readable_twice(client, options):
    info = client.get_flight_info(flight.FlightDescriptor.for_command(statement_query("SELECT 41 + 1 AS x")), options)
    ticket = info.endpoints[0].ticket
    assert client.do_get(ticket, options).read_all().column("x").to_pylist() == [42]
    assert client.do_get(ticket, options).read_all().column("x").to_pylist() == [42]


def test_get_catalogs_schema(client, options):
    info = client.get_flight_info(flight.FlightDescriptor.for_command(command("CommandGetCatalogs")), options)
    expected = pa.schema([pa.field("catalog_name", pa.string(), nullable=False)])
    assert info.schema.equals(expected), info.schema
    table = read_all(client, options, info)
    assert table.num_rows >= 1


def test_wrong_password_is_unauthenticated(client, credentials):
    user, password = credentials
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.authenticate_basic_token(user, password + "-wrong")


def test_calls_without_a_token_are_unauthenticated(client):
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.get_flight_info(flight.FlightDescriptor.for_command(statement_query("SELECT 1")))


def test_bad_sql_is_invalid_argument_with_the_engine_message(client, options):
    with pytest.raises(pa.ArrowInvalid) as caught:
        client.get_flight_info(flight.FlightDescriptor.for_command(statement_query("SELEC 1")), options)
    assert "syntax error" in str(caught.value), caught.value


def test_unknown_command_is_unimplemented(client, options):
    descriptor = flight.FlightDescriptor.for_command(command("CommandNobodyDefined"))
    with pytest.raises(pa.ArrowNotImplementedError):
        client.get_flight_info(descriptor, options)


def fields(message):
    """Decodes one protobuf message into {field number: [values]} (varints and length-delimited only)."""
    out, i = {}, 0
    while i < len(message):
        key, i = read_varint(message, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(message, i)
        elif wire == 2:
            size, i = read_varint(message, i)
            value, i = message[i : i + size], i + size
        else:
            raise ValueError(f"wire type {wire} not expected here")
        out.setdefault(number, []).append(value)
    return out


def read_varint(data, i):
    shift = result = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, i
        shift += 7


def action(client, options, name, body):
    """Runs Flight SQL action `name` with its Action<name>Request body; returns the result bodies."""
    request = command(f"Action{name}Request", body)
    return [r.body.to_pybytes() for r in client.do_action(flight.Action(name, request), options)]


def test_create_prepared_statement_describes_without_running(client, options):
    # error() fails only when executed: preparing must still answer with the result's schema.
    results = action(client, options, "CreatePreparedStatement", length_delimited(1, b"SELECT error('boom') AS x, 1::INTEGER AS y"))
    assert len(results) == 1
    wrapped = fields(results[0])
    assert wrapped[1][0].decode().endswith("ActionCreatePreparedStatementResult")
    result = fields(wrapped[2][0])
    handle = result[1][0]
    schema = pa.ipc.read_schema(pa.py_buffer(result[2][0]))
    assert schema.names == ["x", "y"]
    assert schema.field("y").type == pa.int32()
    for _ in range(2):  # closing twice is harmless
        action(client, options, "ClosePreparedStatement", length_delimited(1, handle))


def test_get_sql_info_answers_exactly_the_requested_ids(client, options):
    # CommandGetSqlInfo { repeated uint32 info = 1 }: 0 = FLIGHT_SQL_SERVER_NAME, 1 = FLIGHT_SQL_SERVER_VERSION.
    body = varint(1 << 3 | 0) + varint(0) + varint(1 << 3 | 0) + varint(1)
    info = client.get_flight_info(flight.FlightDescriptor.for_command(command("CommandGetSqlInfo", body)), options)
    assert info.schema.field("info_name").type == pa.uint32()
    assert pa.types.is_union(info.schema.field("value").type)
    rows = read_all(client, options, info).to_pylist()
    assert sorted(r["info_name"] for r in rows) == [0, 1]
    assert all(isinstance(r["value"], str) and r["value"] for r in rows), rows


def test_get_xdbc_type_info(client, options):
    expected = pa.schema(
        [
            pa.field("type_name", pa.string(), nullable=False),
            pa.field("data_type", pa.int32(), nullable=False),
            pa.field("column_size", pa.int32()),
            pa.field("literal_prefix", pa.string()),
            pa.field("literal_suffix", pa.string()),
            pa.field("create_params", pa.list_(pa.field("item", pa.string(), nullable=False))),
            pa.field("nullable", pa.int32(), nullable=False),
            pa.field("case_sensitive", pa.bool_(), nullable=False),
            pa.field("searchable", pa.int32(), nullable=False),
            pa.field("unsigned_attribute", pa.bool_()),
            pa.field("fixed_prec_scale", pa.bool_(), nullable=False),
            pa.field("auto_increment", pa.bool_()),
            pa.field("local_type_name", pa.string()),
            pa.field("minimum_scale", pa.int32()),
            pa.field("maximum_scale", pa.int32()),
            pa.field("sql_data_type", pa.int32(), nullable=False),
            pa.field("datetime_subcode", pa.int32()),
            pa.field("num_prec_radix", pa.int32()),
            pa.field("interval_precision", pa.int32()),
        ]
    )
    info = client.get_flight_info(flight.FlightDescriptor.for_command(command("CommandGetXdbcTypeInfo")), options)
    assert info.schema.equals(expected), info.schema
    rows = read_all(client, options, info).to_pylist()
    codes = {r["data_type"] for r in rows}
    assert {4, -5, 12, 8, 91, 93, 3} <= codes, codes  # INTEGER BIGINT VARCHAR DOUBLE DATE TIMESTAMP DECIMAL
    assert 16 in codes or -7 in codes, codes  # BOOLEAN or BIT
    # CommandGetXdbcTypeInfo { optional int32 data_type = 1 }: only that type's rows.
    only = command("CommandGetXdbcTypeInfo", varint(1 << 3 | 0) + varint(12))
    info = client.get_flight_info(flight.FlightDescriptor.for_command(only), options)
    filtered = read_all(client, options, info).to_pylist()
    assert filtered and {r["data_type"] for r in filtered} == {12}, filtered


class BearerOnlyHandshake(flight.ClientAuthHandler):
    """A handshake that sends no credentials of its own: only the call's bearer header."""

    def authenticate(self, outgoing, incoming):
        pass

    def get_token(self):
        return b""


def test_handshake_with_a_bearer_token_succeeds(flight_uri, credentials):
    first = flight.FlightClient(flight_uri)
    header = first.authenticate_basic_token(*credentials)
    first.close()
    second = flight.FlightClient(flight_uri)
    try:
        second.authenticate(BearerOnlyHandshake(), options=flight.FlightCallOptions(headers=[header]))
    finally:
        second.close()


def test_handshake_with_a_forged_bearer_token_is_unauthenticated(flight_uri):
    client = flight.FlightClient(flight_uri)
    try:
        with pytest.raises(flight.FlightUnauthenticatedError):
            client.authenticate(
                BearerOnlyHandshake(), options=flight.FlightCallOptions(headers=[(b"authorization", b"Bearer forged")])
            )
    finally:
        client.close()

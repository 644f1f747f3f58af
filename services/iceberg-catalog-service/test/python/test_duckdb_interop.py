"""The PyIceberg half of the DuckDB interoperability suite: tables DuckDB reads, and reading what DuckDB wrote.

The namespace both sides use is $CATALOG_SHARED_NAMESPACE (levels joined by dots), made by the TypeScript spec.
"""

import os

import pyarrow as pa

SHARED = tuple(os.environ.get("CATALOG_SHARED_NAMESPACE", "acme.interop").split("."))


def test_write_tables_for_duckdb(catalog):
    table = catalog.create_table(
        SHARED + ("from_pyiceberg",),
        schema=pa.schema([("id", pa.int64()), ("site", pa.string()), ("value", pa.float64())]),
    )
    table.append(pa.table({"id": pa.array([1, 2], pa.int64()), "site": ["north", "south"], "value": [1.5, 2.5]}))
    table.append(pa.table({"id": pa.array([3], pa.int64()), "site": ["north"], "value": [3.5]}))
    with table.update_schema() as update:
        update.rename_column("value", "reading")


def test_read_table_duckdb_wrote(catalog):
    table = catalog.load_table(SHARED + ("from_duckdb",))
    got = sorted(table.scan().to_arrow().to_pylist(), key=lambda r: r["id"])
    assert got == [{"id": 1, "label": "x"}, {"id": 2, "label": "y"}, {"id": 3, "label": "z"}]
    assert len(table.snapshots()) == 2

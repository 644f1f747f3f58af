"""PyIceberg (PyPI) against the catalog and the S3 warehouse: what a notebook user does."""

import os
import threading

import pyarrow as pa
import pytest
from pyiceberg.exceptions import (
    CommitFailedException,
    ForbiddenError,
    NamespaceAlreadyExistsError,
    NamespaceNotEmptyError,
    NoSuchNamespaceError,
    NoSuchTableError,
    RESTError,
    TableAlreadyExistsError,
)
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform, IdentityTransform
from pyiceberg.types import DoubleType, LongType, NestedField, StringType, TimestampType

from conftest import connect

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "name", StringType(), required=False),
)


def rows(*pairs):
    return pa.table({"id": pa.array([p[0] for p in pairs], pa.int64()), "name": pa.array([p[1] for p in pairs], pa.string())})


def ids(table, **scan):
    return sorted(r["id"] for r in table.scan(**scan).to_arrow().to_pylist())


def test_namespaces(catalog, namespace, tenant_root):
    child = namespace + ("child",)
    catalog.create_namespace(child, {"owner": "pytest"})
    with pytest.raises(NamespaceAlreadyExistsError):
        catalog.create_namespace(child)
    assert child in catalog.list_namespaces(namespace)
    assert namespace in catalog.list_namespaces(tenant_root)
    assert catalog.list_namespaces() == [tenant_root]
    assert catalog.load_namespace_properties(child) == {"owner": "pytest"}
    summary = catalog.update_namespace_properties(child, removals={"owner", "absent"}, updates={"team": "data"})
    assert summary.removed == ["owner"] and summary.missing == ["absent"] and summary.updated == ["team"]
    assert catalog.load_namespace_properties(child) == {"team": "data"}
    assert catalog.namespace_exists(child)
    with pytest.raises(NamespaceNotEmptyError):
        catalog.drop_namespace(namespace)
    catalog.drop_namespace(child)
    assert not catalog.namespace_exists(child)
    with pytest.raises(NoSuchNamespaceError):
        catalog.load_namespace_properties(child)
    with pytest.raises(RESTError, match="NoSuchNamespaceException"):
        catalog.create_namespace(namespace + ("no_parent", "grandchild"))


def test_create_append_overwrite(catalog, namespace):
    table = catalog.create_table(namespace + ("events",), schema=SCHEMA)
    assert table.metadata_location.startswith(f"s3://warehouse/{namespace[0]}/{namespace[1]}/events-")
    assert table.metadata_location.endswith(".metadata.json")
    table.append(rows((1, "a"), (2, "b")))
    table.append(rows((3, "c")))
    loaded = catalog.load_table(namespace + ("events",))
    assert ids(loaded) == [1, 2, 3]
    assert len(loaded.snapshots()) == 2
    loaded.overwrite(rows((9, "z")))
    again = catalog.load_table(namespace + ("events",))
    assert ids(again) == [9]
    assert {s.summary.operation.value for s in again.snapshots()} >= {"append", "delete"}
    with pytest.raises(TableAlreadyExistsError):
        catalog.create_table(namespace + ("events",), schema=SCHEMA)


def test_schema_evolution(catalog, namespace):
    table = catalog.create_table(namespace + ("evolving",), schema=SCHEMA)
    table.append(rows((1, "a")))
    with table.update_schema() as update:
        update.add_column("score", DoubleType())
    with table.update_schema() as update:
        update.rename_column("name", "label")
    table = catalog.load_table(namespace + ("evolving",))
    table.append(pa.table({"id": pa.array([2], pa.int64()), "label": ["b"], "score": [0.5]}))
    with table.update_schema() as update:
        update.delete_column("score")
    table = catalog.load_table(namespace + ("evolving",))
    assert [f.name for f in table.schema().fields] == ["id", "label"]
    assert sorted(table.scan().to_arrow().to_pylist(), key=lambda r: r["id"]) == [
        {"id": 1, "label": "a"},
        {"id": 2, "label": "b"},
    ]
    assert len(table.schemas()) == 4


def test_partition_evolution_and_filtered_scan(catalog, namespace):
    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "site", StringType(), required=False),
        NestedField(3, "at", TimestampType(), required=False),
    )
    spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="site"))
    table = catalog.create_table(namespace + ("readings",), schema=schema, partition_spec=spec)
    import datetime as dt

    def batch(*items):
        return pa.table(
            {
                "id": pa.array([i[0] for i in items], pa.int64()),
                "site": pa.array([i[1] for i in items], pa.string()),
                "at": pa.array([dt.datetime(2026, 1, i[2]) for i in items], pa.timestamp("us")),
            }
        )

    table.append(batch((1, "north", 1), (2, "south", 2)))
    with table.update_spec() as update:
        update.add_field("at", DayTransform(), "at_day")
    table = catalog.load_table(namespace + ("readings",))
    assert table.spec().spec_id == 1 and len(table.specs()) == 2
    table.append(batch((3, "north", 3), (4, "south", 4)))
    assert ids(table, row_filter="site = 'north'") == [1, 3]
    assert ids(table, row_filter="id > 1 and site = 'south'") == [2, 4]


def test_delete_rows(catalog, namespace):
    table = catalog.create_table(namespace + ("deletable",), schema=SCHEMA)
    table.append(rows((1, "a"), (2, "b"), (3, "c")))
    table.delete("id < 3")
    assert ids(catalog.load_table(namespace + ("deletable",))) == [3]


def test_time_travel(catalog, namespace):
    table = catalog.create_table(namespace + ("history",), schema=SCHEMA)
    table.append(rows((1, "a")))
    first = table.current_snapshot().snapshot_id
    table.append(rows((2, "b")))
    table = catalog.load_table(namespace + ("history",))
    assert ids(table, snapshot_id=first) == [1]
    assert ids(table) == [1, 2]
    assert [e.snapshot_id for e in table.history()][0] == first


def test_branches_and_tags(catalog, namespace):
    table = catalog.create_table(namespace + ("refs",), schema=SCHEMA)
    table.append(rows((1, "a")))
    first = table.current_snapshot().snapshot_id
    table.manage_snapshots().create_tag(first, "v1").create_branch(first, "dev").commit()
    table.append(rows((2, "b")), branch="dev")
    table = catalog.load_table(namespace + ("refs",))
    assert table.refs()["v1"].snapshot_id == first
    assert ids(table) == [1]
    assert ids(table, snapshot_id=table.refs()["dev"].snapshot_id) == [1, 2]
    table.append(rows((3, "c")))
    assert ids(catalog.load_table(namespace + ("refs",)), snapshot_id=first) == [1]


def test_concurrent_appenders_each_land_exactly_once(catalog, namespace):
    name = namespace + ("contended",)
    catalog.create_table(name, schema=SCHEMA)
    writers = 8
    conflicts = []
    errors = []
    start = threading.Barrier(writers)

    def append(i):
        client = connect(os.environ.get("CATALOG_TOKEN", "dev-acme-token"))
        table = client.load_table(name)
        start.wait()
        for _attempt in range(50):
            try:
                table.append(rows((i, f"writer-{i}")))
                return
            except CommitFailedException:
                conflicts.append(i)
                table = client.load_table(name)
        errors.append(f"writer {i} gave up")

    threads = [threading.Thread(target=append, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    table = catalog.load_table(name)
    assert ids(table) == list(range(writers))
    assert len(table.snapshots()) == writers
    print(f"{len(conflicts)} commits lost a race and were retried")


def test_tenant_isolation(catalog, other_catalog, namespace):
    catalog.create_table(namespace + ("private",), schema=SCHEMA)
    assert namespace[:1] not in other_catalog.list_namespaces()
    with pytest.raises(ForbiddenError):
        other_catalog.load_namespace_properties(namespace)
    with pytest.raises(ForbiddenError):
        other_catalog.load_table(namespace + ("private",))
    with pytest.raises(ForbiddenError):
        other_catalog.drop_table(namespace + ("private",))
    with pytest.raises(ForbiddenError):
        other_catalog.create_namespace(namespace + ("intruder",))
    assert catalog.table_exists(namespace + ("private",))


def test_rename_drop_and_register(catalog, namespace):
    table = catalog.create_table(namespace + ("original",), schema=SCHEMA)
    table.append(rows((1, "a")))
    catalog.rename_table(namespace + ("original",), namespace + ("renamed",))
    assert not catalog.table_exists(namespace + ("original",))
    renamed = catalog.load_table(namespace + ("renamed",))
    assert ids(renamed) == [1]
    location = renamed.metadata_location
    catalog.drop_table(namespace + ("renamed",))
    with pytest.raises(NoSuchTableError):
        catalog.load_table(namespace + ("renamed",))
    registered = catalog.register_table(namespace + ("registered",), location)
    assert ids(registered) == [1]
    with pytest.raises(TableAlreadyExistsError):
        catalog.register_table(namespace + ("registered",), location)
    catalog.purge_table(namespace + ("registered",))
    assert not catalog.table_exists(namespace + ("registered",))


def test_staged_create_with_data(catalog, namespace):
    with catalog.create_table_transaction(namespace + ("staged",), schema=SCHEMA) as tx:
        tx.append(rows((1, "a"), (2, "b")))
        assert not catalog.table_exists(namespace + ("staged",))
    table = catalog.load_table(namespace + ("staged",))
    assert ids(table) == [1, 2]


def test_unknown_names(catalog, namespace):
    with pytest.raises(NoSuchTableError):
        catalog.load_table(namespace + ("missing",))
    with pytest.raises(NoSuchNamespaceError):
        catalog.create_table(namespace + ("missing", "t"), schema=SCHEMA)
    with pytest.raises(NoSuchNamespaceError):
        catalog.list_tables(namespace + ("missing",))


def test_views(catalog, other_catalog, namespace):
    from pyiceberg.exceptions import NoSuchViewError, ViewAlreadyExistsError
    from pyiceberg.view.metadata import SQLViewRepresentation, ViewVersion

    catalog.create_table(namespace + ("events",), schema=SCHEMA)
    version = ViewVersion(
        schema_id=0,
        representations=[SQLViewRepresentation(type="sql", sql="SELECT id FROM events WHERE id > 1", dialect="spark")],
        default_namespace=list(namespace),
    )
    view_schema = Schema(NestedField(1, "id", LongType(), required=False))
    view = catalog.create_view(namespace + ("big_ids",), schema=view_schema, view_version=version)
    assert view.metadata.current_version_id == 1
    with pytest.raises(ViewAlreadyExistsError):
        catalog.create_view(namespace + ("big_ids",), schema=view_schema, view_version=version)
    assert catalog.list_views(namespace) == [namespace + ("big_ids",)]
    assert catalog.view_exists(namespace + ("big_ids",))
    loaded = catalog.load_view(namespace + ("big_ids",))
    assert loaded.metadata.versions[0].representations[0].root.sql == "SELECT id FROM events WHERE id > 1"
    with pytest.raises(ForbiddenError):
        other_catalog.load_view(namespace + ("big_ids",))
    catalog.drop_view(namespace + ("big_ids",))
    assert not catalog.view_exists(namespace + ("big_ids",))
    with pytest.raises(NoSuchViewError):
        catalog.drop_view(namespace + ("big_ids",))

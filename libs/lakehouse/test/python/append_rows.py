"""Appends rows to an `events` table (see factories.ts) with PyIceberg, as another writer would.

Usage: append_rows.py <namespace.dotted> <table> <first id> <count>
Prints JSON: the snapshot id PyIceberg committed.
"""

import datetime
import json
import sys

import pyarrow as pa
from lake_catalog import load_table

START = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)


def main() -> None:
    namespace, name, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    table = load_table(f"{namespace}.{name}")
    ids = list(range(first, first + count))
    schema = pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("site", pa.string()),
            pa.field("reading", pa.float64()),
            pa.field("observed_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    rows = pa.Table.from_pylist(
        [
            {
                "id": i,
                "site": "pyiceberg",
                "reading": i * 1.5,
                "observed_at": START + datetime.timedelta(days=i % 2, seconds=i),
            }
            for i in ids
        ],
        schema=schema,
    )
    table.append(rows)
    print(json.dumps({"snapshot_id": str(table.current_snapshot().snapshot_id)}))


if __name__ == "__main__":
    main()

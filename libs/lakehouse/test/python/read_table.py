"""Reads an Iceberg table through the REST catalog with PyIceberg and prints what a test compares.

Usage: read_table.py <namespace.dotted> <table> <order-by column>
Prints JSON: rows (sorted, values as JSON-safe text where needed), the current snapshot's summary,
the number of snapshots and the data files of the current snapshot.
"""

import json
import sys

from lake_catalog import load_table


def main() -> None:
    namespace, name, order_by = sys.argv[1], sys.argv[2], sys.argv[3]
    table = load_table(f"{namespace}.{name}")
    rows = table.scan().to_arrow().sort_by(order_by).to_pylist()
    snapshot = table.current_snapshot()
    print(
        json.dumps(
            {
                "rows": rows,
                "summary": {"operation": snapshot.summary.operation.value, **snapshot.summary.additional_properties}
                if snapshot
                else None,
                "snapshots": len(table.metadata.snapshots),
                "files": [task.file.file_path for task in table.scan().plan_files()],
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()

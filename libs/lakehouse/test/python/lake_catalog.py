"""The catalog under test, as PyIceberg reaches it from the CATALOG_URI and CATALOG_TOKEN the suite sets."""

import os

from pyiceberg.catalog import load_catalog
from pyiceberg.table import Table


def load_table(identifier: str) -> Table:
    catalog = load_catalog(
        "lake",
        type="rest",
        uri=os.environ["CATALOG_URI"],
        token=os.environ["CATALOG_TOKEN"],
        warehouse="warehouse",
    )
    return catalog.load_table(identifier)

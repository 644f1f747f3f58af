"""Fixtures for the PyIceberg suite: a REST catalog client per tenant, a fresh namespace per test.

Where the catalog is comes from the environment (set by the TypeScript spec that runs pytest);
every test's outcome is appended as one JSON line to $CATALOG_REPORT so that spec can assert per test.
"""

import json
import os
import uuid

import pytest
from pyiceberg.catalog import load_catalog

URI = os.environ.get("CATALOG_URI", "http://127.0.0.1:8181")
TOKEN = os.environ.get("CATALOG_TOKEN", "dev-acme-token")
OTHER_TOKEN = os.environ.get("CATALOG_OTHER_TOKEN", "dev-globex-token")
TENANT = os.environ.get("CATALOG_TENANT", "acme")
WAREHOUSE = os.environ.get("CATALOG_WAREHOUSE", "warehouse")


def connect(token):
    # Only the URI, a token and the warehouse: S3 settings come from the catalog itself.
    return load_catalog("openfoundry", type="rest", uri=URI, token=token, warehouse=WAREHOUSE)


@pytest.fixture(scope="session")
def catalog():
    return connect(TOKEN)


@pytest.fixture(scope="session")
def other_catalog():
    return connect(OTHER_TOKEN)


@pytest.fixture(scope="session")
def tenant_root(catalog):
    if (TENANT,) not in catalog.list_namespaces():
        try:
            catalog.create_namespace((TENANT,))
        except Exception:  # another run created it first
            pass
    return (TENANT,)


def purge(catalog, ns):
    """Removes a test namespace with everything in it, files included: the warehouse bucket is shared."""
    for child in catalog.list_namespaces(ns):
        purge(catalog, child)
    for view in catalog.list_views(ns):
        catalog.drop_view(view)
    for table in catalog.list_tables(ns):
        catalog.purge_table(table)
    catalog.drop_namespace(ns)


@pytest.fixture
def namespace(catalog, tenant_root):
    ns = tenant_root + ("pytest_" + uuid.uuid4().hex[:10],)
    catalog.create_namespace(ns)
    yield ns
    purge(catalog, ns)


def pytest_runtest_logreport(report):
    path = os.environ.get("CATALOG_REPORT")
    if not path:
        return
    if report.when == "call" or report.failed or report.skipped:
        line = {"check": report.nodeid.split("::", 1)[1], "ok": report.passed, "phase": report.when}
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            line["error"] = str(crash.message) if crash else str(report.longrepr)
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

"""Shared fixtures for the ADBC and pyarrow.flight conformance tests.

Where to connect comes from the environment (set by the e2e spec); every test's outcome is also
appended as one JSON line to $CONFORMANCE_REPORT so the TypeScript side can assert per check.
"""

import json
import os
import uuid

import pytest

HOST = os.environ.get("CONFORMANCE_FLIGHT_HOST", "127.0.0.1")
PORT = int(os.environ.get("CONFORMANCE_FLIGHT_PORT", "50133"))
USER = os.environ.get("CONFORMANCE_USER", "openfoundry")
PASSWORD = os.environ.get("CONFORMANCE_PASSWORD", "openfoundry")
URI = f"grpc://{HOST}:{PORT}"


@pytest.fixture(scope="session")
def flight_uri():
    return URI


@pytest.fixture(scope="session")
def credentials():
    return USER, PASSWORD


@pytest.fixture
def suffix():
    return uuid.uuid4().hex[:8]


def pytest_runtest_logreport(report):
    path = os.environ.get("CONFORMANCE_REPORT")
    if not path:
        return
    # One line per test: its failure if setup or call failed, else its call outcome.
    if report.when == "call" or report.failed or report.skipped:
        line = {
            "check": report.nodeid.split("::", 1)[1],
            "file": report.nodeid.split("::", 1)[0],
            "ok": report.passed,
            "outcome": report.outcome,
            "phase": report.when,
        }
        if report.failed:
            line["error"] = str(report.longrepr.reprcrash.message) if hasattr(report.longrepr, "reprcrash") else str(report.longrepr)
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

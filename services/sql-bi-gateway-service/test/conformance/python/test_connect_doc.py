"""The Python snippets of the README's "Connect Tableau / DBeaver / Python" section run as written."""

import os
import re

import pytest

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "README.md")
SECTION = "## Connect Tableau / DBeaver / Python"


def section():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end >= 0 else len(text)]


def snippets():
    return re.findall(r"```python\n(.*?)```", section(), re.S)


def test_connect_doc_has_python_snippets():
    assert len(snippets()) >= 2


@pytest.mark.parametrize("index", range(2))
def test_connect_doc_python_snippet_runs(index, flight_uri, credentials):
    # The document speaks of the local defaults; point it at the server under test if that differs.
    code = snippets()[index]
    code = code.replace("grpc://127.0.0.1:50133", flight_uri)
    code = code.replace('"username": "openfoundry", "password": "openfoundry"', f'"username": {credentials[0]!r}, "password": {credentials[1]!r}')
    code = code.replace('authenticate_basic_token("openfoundry", "openfoundry")', f"authenticate_basic_token({credentials[0]!r}, {credentials[1]!r})")
    exec(compile(code, f"README connect section, python snippet {index + 1}", "exec"), {})

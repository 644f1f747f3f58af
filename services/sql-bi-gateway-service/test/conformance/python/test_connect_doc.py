"""The Python snippets of CONNECT.md (the README section for BI users) run as written."""

import os
import re

import pytest

DOC = os.path.join(os.path.dirname(__file__), "..", "CONNECT.md")


def snippets():
    with open(DOC, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.S)


def test_connect_doc_has_python_snippets():
    assert len(snippets()) >= 2


@pytest.mark.parametrize("index", range(2))
def test_connect_doc_python_snippet_runs(index, flight_uri, credentials):
    # The document speaks of the local defaults; point it at the server under test if that differs.
    code = snippets()[index]
    code = code.replace("grpc://127.0.0.1:50133", flight_uri)
    code = code.replace('"username": "openfoundry", "password": "openfoundry"', f'"username": {credentials[0]!r}, "password": {credentials[1]!r}')
    code = code.replace('authenticate_basic_token("openfoundry", "openfoundry")', f"authenticate_basic_token({credentials[0]!r}, {credentials[1]!r})")
    exec(compile(code, f"CONNECT.md python snippet {index + 1}", "exec"), {})

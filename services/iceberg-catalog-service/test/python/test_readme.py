"""The service README's PyIceberg snippet runs as written, pointed at the catalog under test."""

import pathlib
import re

from conftest import URI

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_readme_pyiceberg_snippet_runs(catalog):
    snippets = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(snippets) == 1
    code = snippets[0].replace('uri="http://127.0.0.1:8181"', f'uri="{URI}"')
    exec(compile(code, str(README), "exec"), {})
    assert ("acme", "telemetry") in catalog.list_namespaces(("acme",))

"""The pure core does no I/O: it imports none of the edge libraries."""

import ast
from pathlib import Path

import reports

PURE = ["money", "months", "models", "settings", "normalize", "allocate", "aggregate"]
FORBIDDEN = {"requests", "openpyxl", "jinja2", "weasyprint", "yaml", "socket", "smtplib", "http", "urllib",
             "reports.client", "reports.pipeline", "reports.render", "os", "pathlib", "time"}


def test_pure_core_imports_no_io_libraries():
    root = Path(reports.__file__).parent
    for name in PURE:
        tree = ast.parse((root / f"{name}.py").read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        bad = {m for m in imported if m in FORBIDDEN or m.split(".")[0] in FORBIDDEN}
        assert not bad, f"reports/{name}.py imports {bad}"

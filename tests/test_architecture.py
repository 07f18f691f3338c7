"""The pure core does no I/O: every module in reports/core imports only the core and pure stdlib."""

import ast
from pathlib import Path

import reports

CORE = Path(reports.__file__).parent / "core"
# The core may use these from the standard library (pure computation, no I/O, no clock).
ALLOWED_STDLIB = {"__future__", "calendar", "collections", "dataclasses", "datetime", "decimal", "fractions",
                  "itertools", "re", "typing", "enum", "functools", "operator", "heapq", "math"}
ALLOWED_PROJECT = {"reports.core", "reports.errors"}


def _imports(path: Path) -> set[str]:
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    return imported


def test_the_core_has_modules_to_check():
    # a moved or renamed core would make the check below vacuous
    assert {"money", "months", "records", "report", "settings", "allocate", "aggregate", "journal", "restate",
            "history"} <= {
        path.stem for path in CORE.glob("*.py")}


def test_pure_core_imports_no_io_libraries():
    for path in sorted(CORE.glob("*.py")):
        bad = set()
        for module in _imports(path):
            if module.startswith("reports"):
                if not any(module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED_PROJECT):
                    bad.add(module)
            elif module.split(".")[0] not in ALLOWED_STDLIB:
                bad.add(module)
        assert not bad, f"reports/core/{path.name} imports {sorted(bad)}"

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


# Every module of the core, by name: a new one joins the pure core on purpose, by being added here.
CORE_MODULES = {
    "__init__",
    "aggregate",  # sums, rounding and the report's views
    "allocate",  # spend to cost centers by the configured rules
    "history",  # the year so far, from what was posted
    "journal",  # the month's journal and a restatement's adjustments
    "money",  # Decimal cents, the one rounding rule
    "months",  # calendar months and RFC 3339 times
    "posting",  # a run's journal and a restatement's adjustment as posted figures
    "records",  # the typed rows the sources give
    "report",  # the Report every output renders
    "restate",  # a sealed month's differences and their adjustment journal
    "settings",  # the frozen configuration
}


def test_the_core_is_the_modules_named_here():
    # a moved or renamed core would make the checks below vacuous; a new module is named on purpose
    assert {path.stem for path in CORE.glob("*.py")} == CORE_MODULES


def test_core_modules_import_one_another_without_cycles():
    # a cycle, even one for annotations only, means two modules are one unit split along the wrong line
    graph = {name: {module.removeprefix("reports.core.") for module in _imports(CORE / f"{name}.py")
                    if module.startswith("reports.core.")}
             for name in CORE_MODULES}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle in the core: {' -> '.join(path[path.index(name):] + (name,))}"
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, path + (name,))
        done.add(name)

    for name in sorted(CORE_MODULES):
        visit(name, ())


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

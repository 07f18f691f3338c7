"""The package's shape: a pure core that does no I/O (named module by module), and no import cycles."""

import ast
from pathlib import Path

import reports

PACKAGE = Path(reports.__file__).parent
CORE = PACKAGE / "core"
# The core may use these from the standard library (pure computation, no I/O, no clock).
ALLOWED_STDLIB = {"__future__", "calendar", "collections", "dataclasses", "datetime", "decimal", "fractions",
                  "itertools", "re", "typing", "enum", "functools", "operator", "heapq", "math",
                  "reprlib"}  # reprlib: short quotes of bad values in messages, no I/O
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
    "accrual",  # the month's accrual reversed on the 1st of the next month
    "aggregate",  # build_report: a month's data to its Report, orchestrating the modules below
    "allocate",  # spend to cost centers by the configured rules
    "budget",  # spend against budget: budgeted, without a budget, total
    "checks",  # the reconciliation checks' types: status, figure, check, the reconciliation
    "config_checks",  # the month against its config: unallocated share, configured IDs the organization lacks
    "drivers",  # what drove the month's spend, for the PDF
    "groups",  # RBAC groups: the configured groups found in the organization, one owner per user
    "group_allocation",  # RBAC groups in a month's report: owners before allocation, the Groups sheet after
    "history",  # the year so far, from what was posted
    "invoice",  # the invoice as recorded and its walk to the usage report
    "journal_entry",  # a journal entry's types: ledger, header, lines
    "journal",  # the month's journal and a restatement's adjustments
    "line_items",  # line items, one per cost row made on demand, with their usage quantities
    "money",  # Decimal cents, the one rounding rule
    "money_text",  # money as every channel writes it (one formatter, with the currency)
    "month_data",  # a month as a source gives it to the core
    "months",  # calendar months and RFC 3339 times
    "people",  # the directory file of people: who is in which cost center in a month
    "people_checks",  # users with spend the directory file did not place
    "org",  # the organization's IDs as the config maps them, with a month's spend (`chargeback org`)
    "posting",  # a run's journal and a restatement's adjustment as posted figures
    "purchase",  # a prepaid credit purchase's journal and its credits' expiry
    "prior",  # the prior month compared with: as posted in the books, else as fetched
    "prior_compare",  # the prior month's books against the API: the check, the notes, the movers' bridge
    "product_accounts",  # products to their own expense accounts: each cost center's spend by account
    "reconcile",  # the reconciliation checks that the figures agree
    "replaced",  # a re-run of an open month against the run it replaces
    "records",  # the typed rows the sources give
    "report",  # the Report every output renders
    "restatement",  # a restatement's types: posted against restated per cost center
    "restate",  # a sealed month's differences and their adjustment journal
    "settings",  # the frozen configuration
    "sums",  # cost and usage rows summed in one pass each
    "trueup",  # an invoice's true-up per cost center and its journal
    "totals",  # a month's sums allocated and rounded to cents (the one rounding place)
    "views",  # the Report's views: cost centers, workspaces, API keys, users, line items, usage
}


def test_the_core_is_the_modules_named_here():
    # a moved or renamed core would make the checks below vacuous; a new module is named on purpose
    assert {path.stem for path in CORE.glob("*.py")} == CORE_MODULES


def _package_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (``from pkg import mod`` counts as importing ``mod``)."""
    root = PACKAGE.parent
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module in modules:
                submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules.keys()
                imported |= submodules
                if len(submodules) < len(node.names):
                    imported.add(node.module)
        graph[name] = imported - {name}
    return graph


def test_the_package_imports_without_cycles():
    # a cycle, even one for annotations only or hidden in a function, means two modules are one
    # unit split along the wrong line
    graph = _package_graph()
    assert {"reports.core.history", "reports.simulator.organization", "reports.email.send"} <= graph.keys()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join(path[path.index(name):] + (name,))}"
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, path + (name,))
        done.add(name)

    for name in sorted(graph):
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

"""Every accounting system's journal file, reopened with csv and read back as that system would.

For the demo month (a real run over loopback HTTP with every layout configured) and for a
month of 350 cost centers (so NetSuite's 200 lines per entry and Xero's 300 lines per file
split it): the exact header row of the SPEC, every entry balanced, every layout adding up to
the generic journal exactly per account and cost center, dates in the configured format,
and each system's own rules.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pytest

from conftest import run_options
from reports.core.journal import Change, adjustment_journal
from reports.core.journal_entry import Journal
from reports.core.settings import Settings
from reports.outputs.journals import layout_files
from reports.outputs.journals.generic import journal_csv_bytes
from reports.pipeline import demo_config_path, run
from tests.factories import ACCOUNT_NAMES, MONTH, layout_settings, usd_journal, wide_month

STRPTIME = {"MM/DD/YYYY": "%m/%d/%Y", "DD/MM/YYYY": "%d/%m/%Y", "YYYY-MM-DD": "%Y-%m-%d",
            "DD.MM.YYYY": "%d.%m.%Y", "DD MMM YYYY": "%d %b %Y"}


def netsuite_header(dimension: str) -> list[str]:
    return ["External ID", "Date", "Subsidiary", "Currency", "Memo", "Journal Entry -Line: Account",
            "Journal Entry -Line: Debit", "Journal Entry -Line: Credit", "Journal Entry -Line: Memo",
            f"Journal Entry -Line: {dimension}"]


XERO_HEADER = ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount", "TrackingName1",
               "TrackingOption1"]


def quickbooks_header(dimension: str) -> list[str]:
    return ["Journal No.", "Journal Date", "Account Name", "Debits", "Credits", "Description", dimension]


BUSINESS_CENTRAL_HEADER = ["Posting Date", "Document No.", "Account Type", "Account No.", "Description",
                           "Debit Amount", "Credit Amount", "Shortcut Dimension 1 Code", "External Document No."]
INTACCT_HEADER = ["JOURNAL", "DATE", "DESCRIPTION", "LINE_NO", "ACCT_NO", "DEBIT", "CREDIT", "DEPT_ID", "MEMO"]


def amount(text: str) -> Decimal:
    if not text:
        return Decimal(0)
    assert text.count(".") == 1 and len(text.split(".")[1]) == 2 and "," not in text, text  # plain, two decimals
    return Decimal(text)


def read_csv(data: bytes) -> list[list[str]]:
    assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline="")))


@dataclasses.dataclass
class Entry:
    """An entry as the importing system groups it: its key and its lines (account, cost center, signed amount)."""

    key: tuple
    lines: list[tuple[str, str | None, Decimal]] = dataclasses.field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return sum((line[2] for line in self.lines), Decimal(0))


class Reader:
    """Reads each layout's files back into entries, mapping the system's references to our codes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dimensions = {settings.dimension_for(c.code): c.code for c in settings.cost_centers}
        self.accounts = {name: code for code, name in settings.journal.account_names.items()}

    def center(self, value: str) -> str | None:
        return self.dimensions[value] if value else None

    def grouped(self, rows: list[dict], key, account, center, signed) -> list[Entry]:
        entries: dict[tuple, Entry] = {}
        for row in rows:
            entry = entries.setdefault(key(row), Entry(key(row)))
            entry.lines.append((account(row), center(row), signed(row)))
        return list(entries.values())

    def netsuite(self, rows: list[dict]) -> list[Entry]:
        column = f"Journal Entry -Line: {self.settings.journal.netsuite.dimension.capitalize()}"
        return self.grouped(rows, lambda r: (r["External ID"],), lambda r: r["Journal Entry -Line: Account"],
                            lambda r: self.center(r[column]),
                            lambda r: (amount(r["Journal Entry -Line: Debit"])
                                       - amount(r["Journal Entry -Line: Credit"])))

    def xero(self, rows: list[dict]) -> list[Entry]:
        return self.grouped(rows, lambda r: (r["*Narration"], r["*Date"]), lambda r: r["*AccountCode"],
                            lambda r: self.center(r["TrackingOption1"]), lambda r: Decimal(r["*Amount"]))

    def quickbooks(self, rows: list[dict]) -> list[Entry]:
        column = self.settings.journal.quickbooks.dimension.capitalize()
        return self.grouped(rows, lambda r: (r["Journal No."],), lambda r: self.accounts[r["Account Name"]],
                            lambda r: self.center(r[column]), lambda r: amount(r["Debits"]) - amount(r["Credits"]))

    def business_central(self, rows: list[dict]) -> list[Entry]:
        return self.grouped(rows, lambda r: (r["Document No."],), lambda r: r["Account No."],
                            lambda r: self.center(r["Shortcut Dimension 1 Code"]),
                            lambda r: amount(r["Debit Amount"]) - amount(r["Credit Amount"]))

    def intacct(self, rows: list[dict]) -> list[Entry]:
        entries: list[Entry] = []
        for row in rows:  # an entry starts at a line with its header cells
            if row["JOURNAL"]:
                entries.append(Entry((row["JOURNAL"], row["DATE"], row["DESCRIPTION"])))
            entries[-1].lines.append((row["ACCT_NO"], self.center(row["DEPT_ID"]),
                                      amount(row["DEBIT"]) - amount(row["CREDIT"])))
        return entries


def by_account_and_center(lines) -> dict[tuple[str, str | None], Decimal]:
    totals: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    for account, center, signed in lines:
        totals[(account, center)] += signed
    return {key: total for key, total in totals.items() if total}  # balances, as a ledger shows them


def generic_totals(data: bytes) -> dict[tuple[str, str | None], Decimal]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    return by_account_and_center((row["Account"], row["Cost Center"] or None,
                                  amount(row["Debit"]) - amount(row["Credit"])) for row in rows)


def dict_rows(data: bytes) -> list[dict]:
    header, *rows = read_csv(data)
    return [dict(zip(header, row, strict=True)) for row in rows]


def check_layouts(files: dict[str, bytes], settings: Settings, stem: str, generic: bytes,
                  day: date = MONTH.last_day) -> dict[str, list[Entry]]:
    """The checks every layout must pass; returns each layout's entries for its own checks."""
    reader = Reader(settings)
    ns, qb = settings.journal.netsuite.dimension.capitalize(), settings.journal.quickbooks.dimension.capitalize()
    headers = {"netsuite": netsuite_header(ns), "xero": XERO_HEADER, "quickbooks": quickbooks_header(qb),
               "business_central": BUSINESS_CENTRAL_HEADER, "intacct": INTACCT_HEADER}
    date_columns = {"netsuite": "Date", "xero": "*Date", "quickbooks": "Journal Date",
                    "business_central": "Posting Date", "intacct": "DATE"}
    reference = generic_totals(generic)
    found = {}
    for layout in settings.journal.layouts:
        label = layout.replace("_", "-")
        names = sorted((name for name in files if name == f"{stem}-{label}.csv" or name.startswith(f"{stem}-{label}-")),
                       key=lambda name: (len(name), name))
        assert names and names[0] == f"{stem}-{label}.csv"
        rows = []
        for name in names:
            parsed = read_csv(files[name])
            assert parsed[0] == headers[layout], f"{name}: header"
            rows.append([dict(zip(parsed[0], row, strict=True)) for row in parsed[1:]])
        # Xero makes one import per file; the others one import of the whole file
        entries = [entry for part in rows for entry in getattr(reader, layout)(part)] if layout == "xero" else \
            getattr(reader, layout)([row for part in rows for row in part])
        assert all(entry.balance == 0 for entry in entries), f"{layout}: an entry does not balance"
        lines = [line for entry in entries for line in entry.lines]
        assert by_account_and_center(lines) == reference, f"{layout}: totals differ from the generic journal"
        fmt = STRPTIME[getattr(settings.journal, layout).date_format]
        for row in (row for part in rows for row in part):
            if row[date_columns[layout]]:  # Intacct: only on first lines
                assert datetime.strptime(row[date_columns[layout]], fmt).date() == day, f"{layout}: date"
        found[layout] = entries
    return found


def render(journal: Journal, settings: Settings, stem: str = "journal-2026-10") -> dict[str, bytes]:
    return dict(layout_files(journal, settings, stem))


# ---------------------------------------------------------------- the demo month, end to end


@pytest.fixture(scope="module")
def demo_layouts(tmp_path_factory, demo_server):
    """The demo month run with every layout, some with a non-default date format."""
    folder = tmp_path_factory.mktemp("layouts")
    text = demo_config_path().read_text(encoding="utf-8")
    assert "  layouts: [netsuite, xero]\n" in text
    text = text.replace("  layouts: [netsuite, xero]\n", "  layouts: [netsuite, xero, quickbooks, business_central, "
                        "intacct]\n  business_central: {date_format: DD.MM.YYYY}\n"
                        "  intacct: {journal: GJ, date_format: YYYY-MM-DD}\n")
    config = folder / "chargeback.yaml"
    config.write_text(text, encoding="utf-8")
    result = run(run_options(demo_server, folder / "output", config=config))
    return result


def test_the_demo_config_writes_netsuite_and_xero(good_run):
    names = {path.name for path in good_run.files}
    assert {"journal-2026-10-netsuite.csv", "journal-2026-10-xero.csv"} <= names


@pytest.mark.slow
def test_every_layout_of_the_demo_month_reads_back_balanced_and_equal_to_the_generic_journal(demo_layouts):
    folder = demo_layouts.folder
    files = {path.name: path.read_bytes() for path in folder.glob("journal-2026-10-*.csv")}
    assert sorted(files) == ["journal-2026-10-business-central.csv", "journal-2026-10-intacct.csv",
                             "journal-2026-10-netsuite.csv", "journal-2026-10-quickbooks.csv",
                             "journal-2026-10-xero.csv"]
    from reports.config import load_settings

    settings = load_settings(folder.parent.parent / "chargeback.yaml")
    entries = check_layouts(files, settings, "journal-2026-10", (folder / "journal-2026-10.csv").read_bytes())
    # the demo month fits every system's limit: one entry each, keyed by the Journal ID
    assert [entry.key for entry in entries["netsuite"]] == [("CB-2026-10",)]
    assert [entry.key for entry in entries["quickbooks"]] == [("CB-2026-10",)]
    assert [entry.key for entry in entries["xero"]] == [("CB-2026-10 Claude API chargeback 2026-10", "31/10/2026")]
    # every file the run wrote is in the manifest with its SHA-256, so `close` seals it
    manifest = json.loads((folder / "manifest.json").read_text())
    listed = {entry["file"]: entry["sha256"] for entry in manifest["outputs"]}
    for name, data in files.items():
        assert listed[name] == hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_netsuite_puts_the_journal_id_on_every_line_and_the_line_id_in_the_line_memo(demo_layouts):
    rows = dict_rows((demo_layouts.folder / "journal-2026-10-netsuite.csv").read_bytes())
    generic = dict_rows((demo_layouts.folder / "journal-2026-10.csv").read_bytes())
    assert len(rows) == len(generic)
    for row, line in zip(rows, generic, strict=True):
        assert row["External ID"] == "CB-2026-10"
        assert row["Subsidiary"] == "Acme Corp (demo)" and row["Currency"] == "USD"
        assert row["Memo"] == "Claude API chargeback 2026-10"
        assert row["Journal Entry -Line: Memo"].split(" ")[0] == line["External ID"]
    # the cost center's dimension as configured; the code where none is
    departments = {row["Journal Entry -Line: Memo"].split(" ")[0]: row["Journal Entry -Line: Department"]
                   for row in rows}
    assert departments["CB-2026-10-ENG-100"] == "Platform Engineering"
    assert departments["CB-2026-10-SUP-200"] == "SUP-200" and departments["CB-2026-10-CREDIT"] == ""


@pytest.mark.slow
def test_xero_signs_debits_positive_and_the_credit_negative(demo_layouts):
    rows = dict_rows((demo_layouts.folder / "journal-2026-10-xero.csv").read_bytes())
    generic = dict_rows((demo_layouts.folder / "journal-2026-10.csv").read_bytes())
    for row, line in zip(rows, generic, strict=True):
        assert row["Description"].split(" ")[0] == line["External ID"]
        assert row["*TaxRate"] == "Tax Exempt"
        if line["Debit"]:
            assert row["*Amount"] == line["Debit"] and Decimal(row["*Amount"]) > 0
            assert (row["TrackingName1"], row["TrackingOption1"]) != ("", "")
        else:
            assert row["*Amount"] == "-" + line["Credit"]
            assert row["TrackingName1"] == row["TrackingOption1"] == ""
        assert row["*Narration"].startswith("CB-2026-10 ")


@pytest.mark.slow
def test_quickbooks_posts_by_account_name(demo_layouts):
    from reports.config import load_settings

    settings = load_settings(demo_layouts.folder.parent.parent / "chargeback.yaml")
    rows = dict_rows((demo_layouts.folder / "journal-2026-10-quickbooks.csv").read_bytes())
    generic = dict_rows((demo_layouts.folder / "journal-2026-10.csv").read_bytes())
    names = settings.journal.account_names
    assert [row["Account Name"] for row in rows] == [names[line["Account"]] for line in generic]
    assert all(row["Journal No."] == "CB-2026-10" and len(row["Journal No."]) <= 21 for row in rows)
    assert all(row["Journal Date"] == "10/31/2026" for row in rows)
    assert [row["Description"].split(" ")[0] for row in rows] == [line["External ID"] for line in generic]


@pytest.mark.slow
def test_intacct_writes_header_cells_only_on_an_entrys_first_line(demo_layouts):
    rows = dict_rows((demo_layouts.folder / "journal-2026-10-intacct.csv").read_bytes())
    first, rest = rows[0], rows[1:]
    assert (first["JOURNAL"], first["DATE"]) == ("GJ", "2026-10-31")
    assert first["DESCRIPTION"].startswith("CB-2026-10") and len(first["DESCRIPTION"]) <= 30
    assert all(row["JOURNAL"] == row["DATE"] == row["DESCRIPTION"] == "" for row in rest)
    assert [row["LINE_NO"] for row in rows] == [str(n) for n in range(1, len(rows) + 1)]


@pytest.mark.slow
def test_business_central_documents_are_the_journal_id_with_the_line_id_as_external_document(demo_layouts):
    rows = dict_rows((demo_layouts.folder / "journal-2026-10-business-central.csv").read_bytes())
    generic = dict_rows((demo_layouts.folder / "journal-2026-10.csv").read_bytes())
    assert all(row["Document No."] == "CB-2026-10" and row["Account Type"] == "G/L Account" for row in rows)
    assert [row["External Document No."] for row in rows] == [line["External ID"] for line in generic]
    assert all(len(row["Description"]) <= 50 for row in rows)
    assert all(row["Posting Date"] == "31.10.2026" for row in rows)


# ---------------------------------------------------------------- a month too long for NetSuite and Xero


@pytest.fixture(scope="module")
def wide():
    settings, journal = wide_month(350)
    return settings, journal, render(journal, settings), journal_csv_bytes(journal)


def test_a_wide_month_reads_back_in_every_layout(wide):
    settings, journal, files, generic = wide
    assert len(journal.lines) == 351
    entries = check_layouts(files, settings, "journal-2026-10", generic)
    assert len(entries["intacct"]) == len(entries["quickbooks"]) == len(entries["business_central"]) == 1


def test_netsuite_splits_a_wide_month_into_balanced_entries_of_at_most_200_lines(wide):
    settings, journal, files, _ = wide
    rows = dict_rows(files["journal-2026-10-netsuite.csv"])
    by_entry = defaultdict(list)
    for row in rows:
        assert row["External ID"]  # on every line
        by_entry[row["External ID"]].append(row)
    assert list(by_entry) == ["CB-2026-10-1", "CB-2026-10-2"]
    assert [len(lines) for lines in by_entry.values()] == [200, 151 + 1]
    memos = [row["Journal Entry -Line: Memo"].split(" ")[0] for row in rows]
    assert len(memos) == len(set(memos))  # every line keeps a distinct External ID
    assert [memo for memo in memos if memo.endswith("CREDIT")] == ["CB-2026-10-1-CREDIT", "CB-2026-10-2-CREDIT"]


def test_xero_splits_a_wide_month_into_files_of_at_most_300_lines(wide):
    settings, journal, files, _ = wide
    xero = sorted(name for name in files if "-xero" in name)
    assert xero == ["journal-2026-10-xero-2.csv", "journal-2026-10-xero.csv"]
    first, second = dict_rows(files["journal-2026-10-xero.csv"]), dict_rows(files["journal-2026-10-xero-2.csv"])
    assert (len(first), len(second)) == (300, 52)
    assert {row["*Narration"] for row in first} == {"CB-2026-10-1 Claude API chargeback 2026-10"}
    assert {row["*Narration"] for row in second} == {"CB-2026-10-2 Claude API chargeback 2026-10"}
    assert {row["*Date"] for row in first + second} == {"31 Oct 2026"}
    for part in (first, second):
        assert sum(Decimal(row["*Amount"]) for row in part) == 0
        assert [Decimal(row["*Amount"]) < 0 for row in part] == [False] * (len(part) - 1) + [True]


def test_split_keys_are_stable_across_re_runs(wide):
    settings, journal, files, _ = wide
    again_settings, again_journal = wide_month(350)
    assert render(again_journal, again_settings) == files  # byte for byte


def test_a_restatements_keys_never_collide_with_the_months(wide):
    settings, journal, files, _ = wide
    changes = [Change(c.code, c.name, Decimal(i % 5 - 2), Decimal(i % 5 - 2))
               for i, c in enumerate(settings.cost_centers)]
    posted = date(2026, 12, 1)  # a posting date in an open period: every layout carries it
    adjustment = adjustment_journal(MONTH, 1, settings, journal.ledger, changes, day=posted)
    stem = "journal-adjustment-2026-10-R1"
    restated = render(adjustment, settings, stem)
    check_layouts(restated, settings, stem, journal_csv_bytes(adjustment), day=posted)
    generic = list(csv.DictReader(io.StringIO(journal_csv_bytes(adjustment).decode("utf-8"))))
    assert {(row["Date"], row["Period"]) for row in generic} == {("2026-12-01", "2026-12")}

    def keys(data: dict[str, bytes]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for content in data.values():
            for row in dict_rows(content):
                found["netsuite entry"] |= {row.get("External ID", "")} - {""}
                found["line"] |= {row.get("Journal Entry -Line: Memo", " ").split(" ")[0],
                                  row.get("External Document No.", "")} - {""}
                found["xero narration"] |= {row.get("*Narration", "")} - {""}
                found["journal no."] |= {row.get("Journal No.", ""), row.get("Document No.", "")} - {""}
        return found

    month_keys, restated_keys = keys(files), keys(restated)
    for kind in month_keys:
        assert restated_keys[kind] and not month_keys[kind] & restated_keys[kind], kind
    assert all(key.startswith("CB-2026-10-R1") for key in restated_keys["journal no."])


# ---------------------------------------------------------------- text and amounts


def test_text_that_could_be_a_formula_is_inert_in_every_layout():
    from reports.core.settings import CostCenter

    nasty = '=HYPERLINK("http://x")'
    centers = [CostCenter("ENG-100", nasty, dimension="+Platform"), CostCenter("SUP-200", "@Support")]
    settings = layout_settings(centers, memo="-Claude {month}", account_names={**ACCOUNT_NAMES})
    journal = usd_journal(MONTH, [("6420", "ENG-100", nasty, Decimal("10.00")),
                                  ("6420", "SUP-200", "@Support", Decimal("2.50"))], memo="-Claude 2026-10")
    for name, data in render(journal, settings).items():
        for row in read_csv(data)[1:]:
            for cell in row:
                if cell and cell[0] in "=+-@\t\r":
                    assert cell.startswith("-") and amount(cell.lstrip("-")) > 0, (name, cell)  # only amounts
    xero = dict_rows(render(journal, settings)["journal-2026-10-xero.csv"])
    assert xero[0]["TrackingOption1"] == "'+Platform" and xero[-1]["*Amount"] == "-12.50"
    assert xero[0]["*Narration"] == "CB-2026-10 -Claude 2026-10"  # starts with the ID, so nothing to escape


def test_a_ledger_in_another_currency_is_named_in_netsuite():
    from fractions import Fraction

    from reports.core.journal import month_journal
    from reports.core.journal_entry import Ledger
    from reports.core.settings import CostCenter

    settings = layout_settings([CostCenter("ENG-100", "Platform"), CostCenter("SUP-200", "Support")])
    exact = {"ENG-100": Fraction(1001, 3), "SUP-200": Fraction(2002, 3)}
    usd = {"ENG-100": Decimal("333.67"), "SUP-200": Decimal("667.33")}
    journal = month_journal(MONTH, settings, Ledger("EUR", Decimal("0.9210")), exact=exact, usd=usd,
                            exact_total=Fraction(1001), usd_total=Decimal("1001.00"))
    files = render(journal, settings)
    check_layouts(files, settings, "journal-2026-10", journal_csv_bytes(journal))
    rows = dict_rows(files["journal-2026-10-netsuite.csv"])
    assert {row["Currency"] for row in rows} == {"EUR"}
    assert rows[-1]["Journal Entry -Line: Credit"] == "921.92"  # 1001 USD x 0.9210, in EUR

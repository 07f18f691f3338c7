"""`close` of an open month seals its invoices with it; a tampered true-up is then caught; `run --offline` leaves
the invoices as they are."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import MONTH, offline_options
from reports.errors import DataError
from reports.invoicing import InvoiceOptions, record_invoice
from reports.outputs.seal import close_month, read_seal, verify_seal
from reports.pipeline import demo_config_path, run
from test_invoice_run import digests, invoice_file

pytestmark = pytest.mark.slow  # runs whole months

CLOSED_AT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def invoiced(tmp_path, demo_month):
    output = tmp_path / "out"
    month = demo_month(output)
    result = record_invoice(InvoiceOptions(MONTH, invoice_file(tmp_path, month.report.total), output,
                                           config_path=demo_config_path(), pdf=False))
    return output, result.folder


def test_closing_an_open_month_seals_its_invoices_and_a_tampered_trueup_is_caught(invoiced, cli):
    output, folder = invoiced
    seal = close_month(output, MONTH, CLOSED_AT)
    invoice_files = {name for name in seal.files if name.startswith("invoices/")}
    assert invoice_files == {f"invoices/{folder.name}/{p.name}" for p in folder.iterdir()}
    verify_seal(output / "2026-10", read_seal(output / "2026-10"))  # every file, as sealed

    trueup = folder / "journal-trueup-2026-10.csv"
    trueup.write_bytes(trueup.read_bytes().replace(b".", b"9", 1))  # one figure changed after closing
    for every_file in (True, False):  # the History's cheap check hashes journals too
        with pytest.raises(DataError, match="journal-trueup-2026-10.csv"):
            verify_seal(output / "2026-10", read_seal(output / "2026-10"), every_file=every_file)
    done = cli("history", "--month", "2026-10", "--verify", "--output", str(output), "--config",
               str(demo_config_path()))
    assert "journal-trueup-2026-10.csv" in done.stdout + done.stderr


def test_a_month_whose_invoice_was_tampered_with_is_not_closed(invoiced, cli):
    output, folder = invoiced
    (folder / "journal-trueup-2026-10.csv").write_text("changed\n")
    done = cli("close", "--month", "2026-10", "--output", str(output), "--config", str(demo_config_path()))
    assert done.returncode != 0 and "journal-trueup-2026-10.csv" in done.stderr
    assert read_seal(output / "2026-10") is None


def test_run_offline_leaves_the_invoices_byte_for_byte(invoiced):
    output, folder = invoiced
    before = digests(folder)
    again = run(offline_options(output))
    assert again.folder == output / "2026-10"
    assert digests(folder) == before
    close_month(output, MONTH, CLOSED_AT)  # and they still verify, so the month closes with them
    assert f"invoices/{folder.name}/journal-trueup-2026-10.csv" in read_seal(output / "2026-10").files

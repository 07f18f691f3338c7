"""The executive summary PDF: real WeasyPrint, read back with poppler (pdftotext, pdftoppm,
pdffonts) and pypdf, as a reader and a printer would see it."""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
import zlib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

import reports
from reports.errors import RenderError
from reports.outputs import charts, formatting
from reports.outputs.pdf import PendingPdf, child_environment, render_html, render_pdf, render_pdf_bytes, start_pdf
from reports.outputs.pdf_engine import LocalFilesOnly
from reports.resources import templates_dir
from tests.factories import sample_report

MAX_PAGES = 3
DEMO_TEXT = "DEMO"


# ------------------------------------------------------------------ helpers


def _money(value: Decimal) -> str:
    """Independent of the renderer's filters: what the reader must see, to the cent."""
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"${abs(cents):,.2f}"
    return f"-{text}" if cents < 0 else text


def _signed_money(value: Decimal) -> str:
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if cents == 0:
        return "$0.00"
    return ("+" if cents > 0 else "-") + f"${abs(cents):,.2f}"


def _signed_percent(ratio: Decimal) -> str:
    pct = (ratio * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return ("+" if pct > 0 else "-" if pct < 0 else "") + f"{abs(pct):,.1f}%"


def _pages_text(pdf: Path, *, layout: bool = False) -> list[str]:
    """Text per page; ``layout`` keeps table rows on one line (reading order otherwise)."""
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _render(tmp_path_factory: pytest.TempPathFactory, name: str, report, paper="letter") -> Path:
    path = tmp_path_factory.mktemp("pdf") / f"{name}.pdf"
    render_pdf(report, path, paper=paper)
    return path


@pytest.fixture(scope="module")
def plain_report():
    return sample_report()


@pytest.fixture(scope="module")
def plain_pdf(tmp_path_factory, plain_report) -> Path:
    return _render(tmp_path_factory, "plain", plain_report)


@pytest.fixture(scope="module")
def demo_pdf(tmp_path_factory) -> Path:
    return _render(tmp_path_factory, "demo", sample_report(demo=True), paper="a4")


def _png_size_and_dark_rows(png: bytes) -> tuple[int, int, list[int]]:
    """A tiny PNG reader (8-bit RGB/gray, as pdftoppm writes): rows that hold ink."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = color_type = 0
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big")
            assert data[8] == 8, "8-bit PNG expected"
            color_type = data[9]
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    ink_rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):  # undo the PNG row filter
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        if min(line) < 128:
            ink_rows.append(y)
        previous = line
    return width, height, ink_rows


# ------------------------------------------------------------------ content


def test_total_cost_centers_and_change_appear_to_the_cent(plain_pdf, plain_report):
    report = plain_report
    text = "\n".join(_pages_text(plain_pdf))
    assert _money(report.total) in text
    for line in report.cost_centers:
        assert _money(line.total) in text, line.code
        assert line.name in text
    assert report.change is not None and report.change_ratio is not None
    assert _signed_money(report.change) in text
    assert _signed_percent(report.change_ratio) in text
    assert report.month.label in text


def test_cost_center_table_is_sorted_by_spend_with_a_total_row(plain_pdf, plain_report):
    first_page = _pages_text(plain_pdf, layout=True)[0]
    table = first_page[first_page.index("COST CENTER") :]
    ordered = sorted(plain_report.cost_centers, key=lambda c: (-c.total, c.code))
    positions = [table.index(f"{line.code}") for line in ordered]
    assert positions == sorted(positions)
    total_row = next(row for row in table.splitlines() if row.strip().startswith("Total"))
    assert _money(plain_report.total) in total_row
    assert _signed_money(plain_report.change) in total_row


def test_notes_state_priority_tier_unmapped_reconciliation_and_provenance(plain_pdf, plain_report):
    notes = _squash(_pages_text(plain_pdf)[-1])
    info = plain_report.run_info
    assert _squash("Priority Tier is billed separately") in notes
    assert _squash(f"{plain_report.drivers.priority_tokens.output:,}") in notes
    for unmapped in plain_report.reconciliation.unmapped:
        assert unmapped.workspace_id in notes
    checks = plain_report.reconciliation.checks
    warned = sum(1 for check in checks if check.status == "WARN")
    assert _squash(f"All {len(checks)} checks pass ({warned} with a warning)") in notes
    for value in (info.run_id, info.config_sha256, info.tool_version, "2026-11-0106:00:00UTC"):
        assert _squash(value) in notes


def test_page_count_and_no_blank_page(plain_pdf, tmp_path):
    assert len(PdfReader(plain_pdf).pages) <= MAX_PAGES
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(plain_pdf), str(tmp_path / "page")], check=True
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert 1 <= len(pngs) <= MAX_PAGES
    for png in pngs:
        _, height, ink = _png_size_and_dark_rows(png.read_bytes())
        # ink between the running header and footer: the body is not empty
        body = [y for y in ink if 0.12 * height < y < 0.88 * height]
        assert len(body) > height * 0.05, f"{png.name} is (nearly) blank"


def test_demo_marks_every_page(demo_pdf):
    pages = _pages_text(demo_pdf)
    assert len(pages) <= MAX_PAGES
    for number, page in enumerate(pages, start=1):
        assert "DEMO — simulated organization" in page, f"page {number} lacks the DEMO mark"


def test_real_report_says_demo_nowhere(plain_pdf):
    for page in _pages_text(plain_pdf):
        assert DEMO_TEXT not in page


# ------------------------------------------------------------------ print quality


def _page_size(pdf: Path | bytes) -> tuple[float, float]:
    import io

    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    sizes = {(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in reader.pages}
    assert len(sizes) == 1
    return sizes.pop()


def test_letter_and_a4_page_sizes(plain_pdf, demo_pdf):
    assert _page_size(plain_pdf) == (612.0, 792.0)
    assert _page_size(demo_pdf) == pytest.approx((595.3, 841.9), abs=0.2)


def test_unknown_paper_is_rejected(plain_report):
    with pytest.raises(ValueError, match="legal"):
        render_pdf_bytes(plain_report, paper="legal")


def test_only_the_vendored_font_is_embedded(plain_pdf):
    out = subprocess.run(
        ["pdffonts", str(plain_pdf)], check=True, capture_output=True, text=True
    ).stdout
    rows = out.splitlines()[2:]
    assert rows, "no fonts in the PDF"
    for row in rows:
        # WeasyPrint names embedded fonts after the @font-face family; a system fallback
        # would show up as DejaVuSans or similar.
        assert "Report-Sans" in row.split()[0], row
        assert " yes " in row  # embedded
    fonts = templates_dir() / "fonts"
    assert (fonts / "DejaVuSansCondensed.ttf").is_file()
    assert (fonts / "LICENSE").read_text().strip()


# ------------------------------------------------------------------ safety


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server API
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_html_in_workspace_names_is_text_and_fetches_nothing(tmp_path):
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        name = f'<img src="http://127.0.0.1:{port}/x">'
        report = sample_report(workspace_name=name)
        html = render_html(report)
        assert name not in html and "&lt;img src=" in html
        path = tmp_path / "evil.pdf"
        render_pdf(report, path)
    finally:
        server.shutdown()
        server.server_close()
    assert _Recorder.requests == []
    assert _squash(name) in _squash("".join(_pages_text(path)))


def test_fetcher_serves_templates_only(tmp_path):
    fetcher = LocalFilesOnly(templates_dir())
    css = (templates_dir() / "executive_summary.css").as_uri()
    assert fetcher.fetch(css).read()
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    for url in (
        "http://127.0.0.1:9/x.png",
        "https://example.com/font.ttf",
        "data:text/plain,hi",
        outside.as_uri(),
        (templates_dir() / ".." / "pyproject.toml").as_uri(),
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


# ------------------------------------------------------------------ filters and charts


def test_formatting_filters():
    D = Decimal
    assert formatting.money(D("12345.675")) == "$12,345.68"
    assert formatting.money(D("-3.2")) == "-$3.20"
    assert formatting.money(None) == "\u2014"
    assert formatting.signed_money(D("945.67")) == "+$945.67"
    assert formatting.signed_money(D("-945.665")) == "-$945.67"
    assert formatting.signed_money(D("0.001")) == "$0.00"
    assert formatting.percent(D("0.4213")) == "42.1%"
    assert formatting.signed_percent(D("0.0825")) == "+8.3%"
    assert formatting.signed_percent(D("-0.03")) == "-3.0%"
    assert formatting.whole_money(D("1250")) == "$1,250"
    assert [formatting.tokens(n) for n in (950, 12_345, 999_949, 999_950, 1_234_567, 2_500_000_000)] == [
        "950", "12.3K", "999.9K", "1.0M", "1.2M", "2.5B"
    ]


def test_environment_autoescapes():
    env = formatting.build_environment(templates_dir())
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    assert env.from_string("{{ x | money }}").render(x=Decimal("1")) == "$1.00"


def test_budget_bars_split_the_over_budget_part():
    chart = charts.budget_bars(
        [("A", "Over", Decimal(150), Decimal(100)), ("B", "Under", Decimal(50), Decimal(100)),
         ("C", "None", Decimal(0), None)]
    )
    over, under, none = chart.bars
    assert over.over_budget and over.within_width == pytest.approx(chart.plot_width * 100 / 150, abs=0.01)
    assert over.within_width + over.over_width == pytest.approx(chart.plot_width, abs=0.02)
    assert not under.over_budget and under.budget_x == pytest.approx(over.budget_x)
    assert none.budget_x is None and none.within_width == 0


def test_nice_step():
    assert charts.nice_step(Decimal(68)) == Decimal(20)
    assert charts.nice_step(Decimal(900)) == Decimal(250)
    assert charts.nice_step(Decimal(0)) == Decimal(1)


def test_without_a_prior_month_changes_show_as_unknown(tmp_path_factory):
    report = sample_report(prior=False)
    pages = _pages_text(_render(tmp_path_factory, "noprior", report))
    assert len(pages) <= MAX_PAGES
    text = _squash("".join(pages))
    assert _squash(_money(report.total)) in text
    assert _squash("prior month not available") in text
    assert _squash("No prior month to compare with.") in text


def test_smaller_workspaces_are_counted_from_all_of_them(plain_report):
    from reports.outputs.pdf import build_view_model

    model = build_view_model(plain_report)
    shown = len(model["top_workspaces"])
    assert model["more_workspaces"] == len(plain_report.workspaces) - shown  # the Workspaces sheet has them all


def test_the_movers_are_one_cut_of_the_spend_that_adds_up_to_the_change(plain_report):
    movers = plain_report.drivers.movers
    assert movers and not any(mover.label.startswith(("Model:", "Workspace:")) for mover in movers)
    # workspaces only (models are the same dollars cut another way): with the rest as one row they add up
    change = plain_report.change
    assert change is not None and abs(sum(mover.change for mover in movers) - change) < Decimal("0.005")


def test_the_trend_legend_names_each_cost_center_beside_its_code(plain_report):
    from dataclasses import replace

    from reports.core.history import CLOSED, Posted, build_history
    from reports.outputs.pdf import build_view_model
    from tests.factories import sample_settings

    prior = plain_report.month.prior()
    usd = {line.code: line.total for line in plain_report.cost_centers}
    history = build_history(plain_report.month, {
        prior: Posted(prior, CLOSED, "USD", Decimal(1), usd, usd),
        plain_report.month: Posted(plain_report.month, CLOSED, "USD", Decimal(1), usd, usd)}, sample_settings())
    trend = build_view_model(replace(plain_report, history=history))["trend"]
    names = {line.code: line.name for line in plain_report.cost_centers}
    labels = [series.label for series in trend.chart.series[1:]]
    assert labels and all(label.startswith(code) and names[code] in label
                          for label, code in ((label, label.split()[0]) for label in labels))


def test_same_report_gives_the_same_bytes(plain_pdf, plain_report):
    assert render_pdf_bytes(plain_report) == plain_pdf.read_bytes()


# ------------------------------------------------------------------ the renderer as a second process


def test_the_second_process_renders_the_same_bytes(plain_report, plain_pdf, tmp_path):
    path = tmp_path / "summary.pdf"
    pending = start_pdf(plain_report, path)
    assert not path.exists()  # nothing is written until the run asks for it
    pending.finish()
    assert path.read_bytes() == plain_pdf.read_bytes()


def test_a_renderer_that_fails_is_one_error_naming_why(tmp_path):
    # WeasyPrint does not fail on demand: a real child process fails as the renderer would.
    child = subprocess.Popen([sys.executable, "-c", "import sys; print('Traceback ...', file=sys.stderr); "
                              "print('OSError: cannot load font', file=sys.stderr); sys.exit(1)"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pending = PendingPdf(tmp_path / "summary.pdf", child)
    with pytest.raises(RenderError, match=r"could not be rendered \(OSError: cannot load font\)") as caught:
        pending.finish()
    assert "Traceback" not in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.exit_status == 2  # the README's exit-status table: an output that could not be made
    assert not (tmp_path / "summary.pdf").exists()


def test_a_renderer_killed_from_outside_is_named_as_such(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import os, signal, sys; print('UserWarning: a warning', "
                              "file=sys.stderr, flush=True); os.kill(os.getpid(), signal.SIGKILL)"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with pytest.raises(RenderError, match=r"could not be rendered \(the renderer was stopped by signal 9\)") as caught:
        PendingPdf(tmp_path / "summary.pdf", child).finish()
    assert caught.value.exit_status == 2
    assert not (tmp_path / "summary.pdf").exists()


def test_a_cancelled_renderer_is_stopped_and_writes_nothing(plain_report, tmp_path):
    pending = start_pdf(plain_report, tmp_path / "summary.pdf")
    pending.cancel()
    assert pending._process.returncode is not None  # stopped and reaped, not left running
    pending.cancel()  # twice is harmless, as after finish()
    assert list(tmp_path.iterdir()) == []


def test_the_renderer_gets_no_secrets_and_this_copy_of_the_package(tmp_path):
    env = child_environment({"ANTHROPIC_ADMIN_API_KEY": "sk-ant-admin01-secret", "SMTP_PASSWORD": "hunter2",
                             "CHARGEBACK_SMTP_PASSWORD": "x", "HOME": "/root", "PATH": "/usr/bin"})
    assert "sk-ant-admin01-secret" not in env.values() and "hunter2" not in env.values()
    assert not {"ANTHROPIC_ADMIN_API_KEY", "SMTP_PASSWORD", "CHARGEBACK_SMTP_PASSWORD"} & set(env)
    assert env["HOME"] == "/root" and env["PATH"] == "/usr/bin"
    done = subprocess.run([sys.executable, "-c", "import reports; print(reports.__file__)"], env=env,
                          capture_output=True, text=True, cwd=tmp_path, check=True)
    assert Path(done.stdout.strip()) == Path(reports.__file__).resolve()

"""HTML to PDF with WeasyPrint, offline: in this process, or as a child process beside the run.

Rendering the executive summary is the slowest single output after the workbook, and it
needs nothing but the finished HTML, so a run hands it to a second process
(``python -m reports.outputs.pdf_child``, which runs ``main`` here) and writes the workbook, journals and FOCUS file
meanwhile (see ``pdf.start_pdf``). The child reads one JSON object on stdin
(``{"html": ..., "root": ..., "epoch": ...}``), writes the PDF's bytes to stdout and exits 0;
on failure it writes one line to stderr and exits 1. It never touches a file, so a run that
is stopped, whatever the way, cannot leave a PDF behind it.

WeasyPrint gets a URL fetcher that serves files under ``templates/`` and nothing else, so
text that came from the API can never make the renderer touch the network.
"""

from __future__ import annotations

import json
import mimetypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


class LocalFilesOnly(URLFetcher):
    """Serves ``file:`` URLs inside one folder; refuses everything else (http, data, ...)."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=("file",))
        self.root = root.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"refusing to fetch {url!r}: only the shipped templates are used")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"refusing to fetch {url!r}: not a file under {self.root}")
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            path.as_uri(),
            body=path.read_bytes(),
            headers={"Content-Type": mime or "application/octet-stream"},
        )


@contextmanager
def _font_timestamps(epoch: int) -> Iterator[None]:
    # fontTools stamps the subset fonts it embeds with "now" unless SOURCE_DATE_EPOCH is
    # set; pinning it to the run's generated-at makes the same Report give the same bytes.
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def html_to_pdf(html: str, root: Path, epoch: int) -> bytes:
    """The PDF of ``html`` whose relative URLs resolve under ``root``; the same input gives the same bytes."""
    document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=LocalFilesOnly(root))
    with _font_timestamps(epoch):
        return document.write_pdf()


def main() -> int:
    """The child process's work (started by ``pdf_child``): JSON job on stdin, PDF bytes on stdout."""
    try:
        job = json.loads(sys.stdin.buffer.read())
        data = html_to_pdf(job["html"], Path(job["root"]), int(job["epoch"]))
    except Exception as exc:  # reported to the parent, which turns it into one error line
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # the parent went away: nobody wants the PDF any more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0

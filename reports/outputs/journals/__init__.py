"""The journal in the layouts accounting systems import: one small writer per system.

Each writer is a function from the built journal and the settings to the bytes of its
file(s); the pipeline names and writes them. The generic layout (``generic``) is always
written; the others when ``journal.layouts`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable

from reports.core.journal_entry import Journal
from reports.core.settings import Settings
from reports.outputs import names
from reports.outputs.journals import business_central, intacct, netsuite, quickbooks, xero

WRITERS: dict[str, Callable[[Journal, Settings], list[bytes]]] = {
    "netsuite": netsuite.render,
    "xero": xero.render,
    "quickbooks": quickbooks.render,
    "business_central": business_central.render,
    "intacct": intacct.render,
}


def layout_files(journal: Journal, settings: Settings, stem: str) -> list[tuple[str, bytes]]:
    """Every configured layout's files for ``journal``: (file name, bytes), in the config's order.

    ``stem`` is the generic journal's file name without ``.csv`` (``journal-2026-10``).
    """
    files = []
    for layout in settings.journal.layouts:
        for number, data in enumerate(WRITERS[layout](journal, settings), 1):
            files.append((names.layout_journal_name(stem, layout, number), data))
    return files

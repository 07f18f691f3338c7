"""Text made inert for every CSV field and sheet cell: one rule, so no output is weaker than another.

API text (workspace, key and user names) and configuration text reach spreadsheets, which run
a cell that begins like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) and show control
characters raw or refuse the file. So every text cell is made visible (control characters and
lone surrogates become U+FFFD, tab and line breaks a space), and a CSV field that could be read
as a formula gets a leading apostrophe (a sheet cell gets Excel's quote prefix instead).
"""

from __future__ import annotations

import re
from functools import lru_cache

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab/LF/CR, DEL, C1 controls, and lone UTF-16 surrogates (no file can hold one)
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_BREAKS = re.compile("\r\n|[\t\n\r]")
REPLACEMENT = "\ufffd"


def visible(text: str) -> str:
    """``text`` with no control character left raw: tab and line breaks a space, the rest U+FFFD."""
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub(REPLACEMENT, text)
    if _BREAKS.search(text):
        text = _BREAKS.sub(" ", text)
    return text


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula (or DDE) if it were typed into a cell."""
    return text.startswith(FORMULA_TRIGGERS)


@lru_cache(maxsize=1 << 16)  # a month repeats a few hundred names over hundreds of thousands of rows
def csv_field(text: str) -> str:
    """``text`` as a CSV field: visible, and quote-prefixed if a spreadsheet would run it."""
    text = visible(text)
    return "'" + text if looks_like_formula(text) else text

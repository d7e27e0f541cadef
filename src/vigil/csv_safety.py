"""CSV cells that a spreadsheet will never run: shared by every CSV Vigil writes.

Names, paths and reasons come from seized media; a cell starting like a
formula (``=``, ``+``, ``-``, ``@``, tab, CR) would be run by Excel or Calc when
the file is opened (CSV injection), so it is written with a leading ``'``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Cell starts a spreadsheet would run as a formula (CSV injection); defined here, not in
the hash-set readers, so writing a CSV does not import them (and numpy)."""


def safe_cell(value: Any) -> str:
    """A CSV cell for ``value``: "" for None, UTC times as ISO 8601, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text

"""Making text from evidence inert: safe to store, print and show, whatever it holds.

Names, archive members, reasons and artefact fields are written by the
suspect. Before such text is stored or shown, every character that is not
printable becomes a visible escape in Python's own notation: NUL is ``\\x00``,
a newline ``\\n``, the right-to-left override ``\\u202e``, a zero-width joiner
``\\u200d``. An undecodable byte kept as a surrogate escape (``os.fsdecode``)
shows as the byte itself, ``\\xe9``, as :func:`vigil.sources.locator.escape_path`
has always shown it. Text already inert passes through unchanged, so escaping
twice is harmless, and ordinary names are never altered.

Overlong text is cut with a marker saying how much was left out. The exact
value of a name is never lost: the item's locator keeps it byte for byte.

This module escapes characters only. Markup of the terminal (rich) and of the
HTML report are the business of the code that prints: see
:mod:`vigil.cli.output`.
"""

from __future__ import annotations

import math
from typing import Any

MAX_CHARS = 4096
"""Longest text kept in a stored name, path display, reason or detail string."""

_SURROGATE_BYTES = range(0xDC80, 0xDD00)
"""Surrogates that ``surrogateescape`` uses for the undecodable bytes 0x80 to 0xFF."""


def escape_char(char: str) -> str:
    """The visible form of one character: itself when printable, else an escape."""
    if char.isprintable():
        return char
    code = ord(char)
    if code in _SURROGATE_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    return repr(char)[1:-1]


def cut_marker(left_out: int) -> str:
    """What ends a cut text: how many characters of the original were left out."""
    return f"…({left_out:,} more characters)"


def inert(text: str, limit: int | None = MAX_CHARS) -> str:
    """``text`` with unprintable characters escaped and, past ``limit`` characters, cut.

    The result is never longer than ``limit`` (marker included) and is a fixed
    point: ``inert(inert(t)) == inert(t)``. ``limit=None`` escapes without cutting.
    """
    if text.isprintable() and (limit is None or len(text) <= limit):
        return text  # the common case, checked in C
    pieces = [escape_char(c) for c in text]
    if limit is None or sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    return _cut(pieces, limit)


def _cut(pieces: list[str], limit: int) -> str:
    # Keep whole escapes only, leaving room for the longest marker this text
    # could need (the marker's length grows with the count it gives).
    room = limit - len(cut_marker(len(pieces)))
    kept: list[str] = []
    used = 0
    for piece in pieces:
        if used + len(piece) > room:
            break
        kept.append(piece)
        used += len(piece)
    return ("".join(kept) + cut_marker(len(pieces) - len(kept)))[:limit]


def inert_value(value: Any, limit: int | None = MAX_CHARS) -> Any:
    """A JSON-like value (dicts, lists, strings, numbers) with every string made inert.

    Dictionary keys are escaped but never cut: two long keys must stay apart.
    """
    if isinstance(value, str):
        return inert(value, limit)
    if isinstance(value, dict):
        return {
            (inert(k, None) if isinstance(k, str) else k): inert_value(v, limit)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [inert_value(v, limit) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity (PostgreSQL refuses them)
    return value


MAX_STORED_INT = 2**63 - 1
"""Largest value of a BIGINT column (SQLite and PostgreSQL)."""
_TIME_RANGE = (-62_135_596_800.0, 253_402_300_799.0)
"""Seconds of 0001-01-01 and 9999-12-31 23:59:59 UTC: what ``datetime`` can show."""


def inert_size(value: int | None) -> int | None:
    """A size or count from evidence as a BIGINT column keeps it; None when it cannot be one.

    A container states its members' sizes: a lie of 2**88 bytes is no size at all.
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STORED_INT:
        return value
    return None


def inert_time(value: float | None) -> float | None:
    """A POSIX time from evidence that reports can show as a date; None when none can."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
        if math.isfinite(seconds) and _TIME_RANGE[0] <= seconds <= _TIME_RANGE[1]:
            return seconds
    return None
